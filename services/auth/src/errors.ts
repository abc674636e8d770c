import { type AuthErrorCode, ParleyError } from '@parley/contracts';

/** A coded auth error; its status comes from the contracts' code table. */
export const authError = (code: AuthErrorCode, detail: string, extra?: Record<string, unknown>): ParleyError =>
  new ParleyError(code, detail, extra ? { extra } : {});

export const tooManyAttempts = (retryAfterSeconds: number): ParleyError =>
  authError('TOO_MANY_ATTEMPTS', `Too many attempts; try again in ${retryAfterSeconds} s`, {
    retryAfter: retryAfterSeconds,
  });

/** A dependency (bus, mail) failed: the caller may retry; the cause stays in our logs, not in the answer. */
export const unavailable = (what: string, cause: unknown): ParleyError =>
  new ParleyError('SERVICE_UNAVAILABLE', `${what} is unavailable; try again`, { cause });

/**
 * The constraint a unique violation (SQLSTATE 23505) broke, or undefined for any other error.
 * drizzle wraps driver errors: postgres.js names it `constraint_name`, PGlite `constraint`.
 */
export const uniqueViolation = (err: unknown): string | undefined => {
  for (let e = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const candidate = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
    if (candidate.code === '23505') return String(candidate.constraint_name ?? candidate.constraint ?? '');
  }
  return undefined;
};

/** Maps the users table's unique indexes to the codes API.md promises; anything else is rethrown. */
export const mapUserConflict = (err: unknown): never => {
  const constraint = uniqueViolation(err);
  if (constraint === 'users_name_lower_key') throw authError('NAME_TAKEN', 'That name is taken');
  if (constraint === 'users_email_lower_key') throw authError('EMAIL_TAKEN', 'That email address already has an account');
  throw err;
};
