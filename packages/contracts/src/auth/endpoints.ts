import { Type } from 'typebox';
import { endpoint } from '../endpoint.ts';
import { Empty } from '../ops.ts';
import {
  Caller,
  ClientInfo,
  Email,
  Id,
  Jwks,
  ListQuery,
  Page,
  Password,
  PasswordStrength,
  PublicUser,
  SessionInfo,
  SessionListItem,
  SixDigitCode,
  TokenPair,
  UserName,
  UserSelf,
  Verification,
} from './schemas.ts';

const Accepted = Type.Object({ accepted: Type.Literal(true) });
const Done = Type.Object({ done: Type.Literal(true) });
const VerifyMethod = Type.Union([Type.Literal('code'), Type.Literal('link')]);

/**
 * The auth service's bus API. The gateway verifies access tokens itself and
 * passes the caller (`Caller`) or the client's ip/user agent (`ClientInfo`).
 */
export const AuthEndpoints = {
  register: endpoint(
    'auth.register',
    Type.Object({ name: UserName, email: Email, password: Password, verify: Type.Optional(VerifyMethod), client: ClientInfo }),
    Type.Object({ user: UserSelf, verification: Verification }),
  ),
  verifyEmailCode: endpoint(
    'auth.verify-email.code',
    Type.Object({ email: Email, code: SixDigitCode, client: ClientInfo }),
    TokenPair,
  ),
  verifyEmailLink: endpoint(
    'auth.verify-email.link',
    Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), client: ClientInfo }),
    TokenPair,
  ),
  /** Renders nothing and spends nothing: tells the confirm page whether the link is still good. */
  inspectEmailLink: endpoint(
    'auth.verify-email.inspect',
    Type.Object({ token: Type.String({ maxLength: 200 }) }),
    Type.Object({ valid: Type.Boolean(), email: Type.Union([Type.String(), Type.Null()]) }),
    { idempotent: true },
  ),
  resendVerification: endpoint('auth.verify-email.resend', Type.Object({ email: Email, client: ClientInfo }), Accepted),
  passwordStrength: endpoint(
    'auth.password-strength',
    Type.Object({
      password: Password,
      name: Type.Optional(Type.String({ maxLength: 64 })),
      email: Type.Optional(Type.String({ maxLength: 254 })),
    }),
    PasswordStrength,
    { idempotent: true },
  ),
  login: endpoint(
    'auth.login',
    Type.Object({ login: Type.String({ minLength: 1, maxLength: 254 }), password: Password, client: ClientInfo }),
    TokenPair,
  ),
  requestLoginCode: endpoint('auth.login-code.request', Type.Object({ email: Email, client: ClientInfo }), Accepted),
  verifyLoginCode: endpoint(
    'auth.login-code.verify',
    Type.Object({ email: Email, code: SixDigitCode, client: ClientInfo }),
    TokenPair,
  ),
  refresh: endpoint(
    'auth.refresh',
    Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 300 }), client: ClientInfo }),
    TokenPair,
  ),
  logout: endpoint('auth.logout', Type.Object({ caller: Caller }), Done),
  logoutAll: endpoint('auth.logout-all', Type.Object({ caller: Caller }), Done),
  session: endpoint('auth.session', Type.Object({ caller: Caller }), SessionInfo, { idempotent: true }),
  listSessions: endpoint(
    'auth.sessions.list',
    Type.Object({ caller: Caller }),
    Type.Object({ items: Type.Array(SessionListItem) }),
    { idempotent: true },
  ),
  revokeSession: endpoint('auth.sessions.revoke', Type.Object({ caller: Caller, sessionId: Id }), Done),
  jwks: endpoint('auth.jwks', Empty, Jwks, { idempotent: true }),
  /** Operator: sign with a new key from now on (the old one stays in the JWKS until its tokens expire). */
  rotateKeys: endpoint('auth.keys.rotate', Empty, Type.Object({ kid: Type.String() })),
  /** Sessions revoked while their access tokens may still be unexpired: what a starting gateway must refuse. */
  liveRevocations: endpoint(
    'auth.revocations.live',
    Empty,
    Type.Object({
      items: Type.Array(Type.Object({ sessionId: Type.String(), until: Type.Integer({ description: 'epoch seconds' }) })),
    }),
    { idempotent: true },
  ),

  me: endpoint('users.me.get', Type.Object({ caller: Caller }), UserSelf, { idempotent: true }),
  rename: endpoint('users.me.rename', Type.Object({ caller: Caller, name: UserName }), UserSelf),
  changePassword: endpoint(
    'users.me.password',
    Type.Object({ caller: Caller, currentPassword: Password, newPassword: Password }),
    Done,
  ),
  requestEmailChange: endpoint('users.me.email.request', Type.Object({ caller: Caller, newEmail: Email }), Accepted),
  confirmEmailChange: endpoint('users.me.email.verify', Type.Object({ caller: Caller, code: SixDigitCode }), UserSelf),
  setAvatar: endpoint(
    'users.me.avatar',
    Type.Object({ caller: Caller, avatarUrl: Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]) }),
    Type.Object({ avatarUrl: Type.Union([Type.String(), Type.Null()]) }),
  ),
  searchUsers: endpoint(
    'users.search',
    Type.Object({ caller: Caller, q: Type.String({ minLength: 1, maxLength: 100 }), ...ListQuery.properties }),
    Page(PublicUser),
    { idempotent: true },
  ),
  getUser: endpoint('users.get', Type.Object({ caller: Caller, id: Id }), PublicUser, { idempotent: true }),
  /** Which of these ids are users (for other services: chat-notify checks members exist). Unknown ids are left out. */
  lookupUsers: endpoint(
    'users.lookup',
    Type.Object({ ids: Type.Array(Id, { maxItems: 200 }) }),
    Type.Object({ users: Type.Array(PublicUser) }),
    { idempotent: true },
  ),
} as const;

/** Core pub/sub (every gateway, no queue group): sessions whose tokens must stop working now. */
export const RevocationSubject = 'auth.revoked';
export const Revoked = Type.Object({
  sessionIds: Type.Array(Type.String()),
  until: Type.Integer({ description: 'epoch seconds after which their tokens are expired anyway' }),
});
/** Core pub/sub: the signing keys changed; gateways refetch the JWKS. */
export const KeysChangedSubject = 'auth.keys.changed';
