import { ParleyError } from '@parley/contracts';

/** Also the answer for another owner's identity: a stranger cannot tell theirs from none. */
export const identityNotFound = (): ParleyError => new ParleyError('IDENTITY_NOT_FOUND', 'No such identity');
