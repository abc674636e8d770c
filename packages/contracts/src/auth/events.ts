import { Type } from 'typebox';
import { defineEvent } from '../endpoint.ts';

const UserRef = { userId: Type.String() };
const LoginMethod = Type.Union([
  Type.Literal('password'),
  Type.Literal('email-code'),
  Type.Literal('email-verification'),
  Type.Literal('refresh'),
]);

/** What the auth service records for the audit log. Never secrets: no passwords, codes or tokens. */
export const AuthEvents = {
  registered: defineEvent('auth.user.registered', 1, Type.Object({ ...UserRef, name: Type.String(), verify: Type.String() })),
  emailVerified: defineEvent('auth.email.verified', 1, Type.Object(UserRef)),
  loginSucceeded: defineEvent(
    'auth.login.succeeded',
    1,
    Type.Object({ ...UserRef, sessionId: Type.String(), method: LoginMethod }),
  ),
  /** `userId` is null when the login named nobody; the attempted login is kept to show the owner. */
  loginFailed: defineEvent(
    'auth.login.failed',
    1,
    Type.Object({
      userId: Type.Union([Type.String(), Type.Null()]),
      login: Type.String(),
      method: LoginMethod,
      reason: Type.String(),
    }),
  ),
  loggedOut: defineEvent(
    'auth.logout',
    1,
    Type.Object({ ...UserRef, sessionIds: Type.Array(Type.String()), all: Type.Boolean() }),
  ),
  sessionRevoked: defineEvent(
    'auth.session.revoked',
    1,
    Type.Object({ ...UserRef, sessionId: Type.String(), reason: Type.String() }),
  ),
  passwordChanged: defineEvent('auth.password.changed', 1, Type.Object(UserRef)),
  emailChanged: defineEvent('auth.email.changed', 1, Type.Object(UserRef)),
  nameChanged: defineEvent('auth.name.changed', 1, Type.Object({ ...UserRef, from: Type.String(), to: Type.String() })),
} as const;
