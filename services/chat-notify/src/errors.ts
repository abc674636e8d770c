import { type ChatErrors, ParleyError } from '@parley/contracts';

export type ChatErrorCode = keyof typeof ChatErrors;

/** A coded chat error; its status comes from the contracts' code table. */
export const chatError = (code: ChatErrorCode, detail: string): ParleyError => new ParleyError(code, detail);

/** The one answer for a room that does not exist and a room the caller is not in. */
export const roomNotFound = (): ParleyError => chatError('ROOM_NOT_FOUND', 'No such room');

export const notOwner = (): ParleyError => chatError('NOT_ROOM_OWNER', 'Only the room’s owner may do this');

export const badCursor = (what = 'cursor'): ParleyError => new ParleyError('BAD_REQUEST', `Invalid ${what}`);
