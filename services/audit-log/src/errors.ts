import { type AuditErrors, ParleyError } from '@parley/contracts';

export type AuditErrorCode = keyof typeof AuditErrors;

/** A coded audit error; its status comes from the contracts' code table. */
export const auditError = (code: AuditErrorCode, detail: string): ParleyError => new ParleyError(code, detail);

export const adminOnly = (): ParleyError => auditError('ADMIN_ONLY', 'Only an administrator may read this');

export const badRange = (detail: string): ParleyError => auditError('BAD_RANGE', detail);

export const noLoginYet = (): ParleyError => auditError('NO_LOGIN_YET', 'No successful login on record');
