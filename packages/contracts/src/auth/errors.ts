/** The auth service's codes (API.md) and their statuses; pass `{ status }` when throwing a ParleyError with one. */
export const AuthErrors = {
  NAME_TAKEN: 409,
  EMAIL_TAKEN: 409,
  WEAK_PASSWORD: 422,
  CODE_INVALID: 400,
  LINK_INVALID: 400,
  INVALID_CREDENTIALS: 401,
  EMAIL_NOT_VERIFIED: 403,
  TOO_MANY_ATTEMPTS: 429,
  TOKEN_INVALID: 401,
  SESSION_INVALID: 401,
  REFRESH_INVALID: 401,
  WRONG_PASSWORD: 401,
  USER_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  /** Dialects only (they ask for it): the address is already confirmed. */
  EMAIL_ALREADY_VERIFIED: 409,
  /** A session token whose session ended (logged out, revoked or expired), as opposed to one never issued. */
  SESSION_EXPIRED: 401,
} as const;
export type AuthErrorCode = keyof typeof AuthErrors;
