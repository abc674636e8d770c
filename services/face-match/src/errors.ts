import { ParleyError } from '@parley/contracts';

/** Also the answer for another owner's identity: a stranger cannot tell theirs from none. */
export const identityNotFound = (): ParleyError => new ParleyError('IDENTITY_NOT_FOUND', 'No such identity');

/** An event that must be recorded could not be: the caller may retry; the cause stays in our logs. */
export const unavailable = (what: string, cause: unknown): ParleyError =>
  new ParleyError('SERVICE_UNAVAILABLE', `${what} is unavailable; try again`, { cause });
