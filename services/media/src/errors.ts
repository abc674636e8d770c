import { type MediaErrors, ParleyError } from '@parley/contracts';

export type MediaErrorCode = keyof typeof MediaErrors;

/** A coded media error; its status comes from the contracts' code table. */
export const mediaError = (code: MediaErrorCode, detail: string): ParleyError => new ParleyError(code, detail);

/**
 * The one answer for "missing", "deleted", "not yours" and "not ready yet": a stranger cannot tell
 * media that exists from media that does not.
 */
export const notFound = (): ParleyError => mediaError('MEDIA_NOT_FOUND', 'No such media');
