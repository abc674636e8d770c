/** The audit-log service's codes and their statuses. */
export const AuditErrors = {
  /** An admin route (`ADMIN_EMAILS`) asked by someone else. */
  ADMIN_ONLY: 403,
  /** `GET /audit/logins/latest` for an account with no successful login on record (or all of them past retention). */
  NO_LOGIN_YET: 404,
  /** `from` is not before `to`, or a cursor from another query. */
  BAD_RANGE: 400,
} as const;
