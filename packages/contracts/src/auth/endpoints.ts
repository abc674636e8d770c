import { Type } from 'typebox';
import { endpoint } from '../endpoint.ts';
import { Empty } from '../ops.ts';
import {
  Caller,
  ClientInfo,
  CodeFormat,
  Email,
  Id,
  Jwks,
  LinkTemplate,
  ListQuery,
  Page,
  Password,
  PasswordStrength,
  PublicUser,
  SessionInfo,
  SessionListItem,
  SessionTokenString,
  SixDigitCode,
  TokenPair,
  UserName,
  UserSelf,
  Verification,
  VerificationCode,
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
    Type.Object({
      name: UserName,
      email: Email,
      password: Password,
      verify: Type.Optional(VerifyMethod),
      client: ClientInfo,
      /** Dialects: the mailed code's format (default six digits). */
      codeFormat: Type.Optional(CodeFormat),
      /** Dialects: where the mailed link points (default the canonical confirm page). */
      linkTemplate: Type.Optional(LinkTemplate),
    }),
    Type.Object({ user: UserSelf, verification: Verification }),
  ),
  verifyEmailCode: endpoint(
    'auth.verify-email.code',
    Type.Object({
      email: Email,
      code: VerificationCode,
      client: ClientInfo,
      /** Dialects whose documents tell "already confirmed" apart: 409 EMAIL_ALREADY_VERIFIED instead of CODE_INVALID. */
      revealVerified: Type.Optional(Type.Boolean()),
    }),
    TokenPair,
  ),
  /**
   * Dialects that confirm an address before the account exists (`groupchat`'s `need_send`): mails a code to an
   * address that has no account yet; 409 EMAIL_TAKEN when it has one.
   */
  requestSignupCode: endpoint('auth.signup-code.request', Type.Object({ email: Email, client: ClientInfo }), Accepted),
  /** The account created already confirmed by the code `requestSignupCode` mailed, and its first session. */
  registerWithCode: endpoint(
    'auth.register.with-code',
    Type.Object({ name: UserName, email: Email, password: Password, code: SixDigitCode, client: ClientInfo }),
    TokenPair,
  ),
  verifyEmailLink: endpoint(
    'auth.verify-email.link',
    Type.Object({
      token: Type.String({ minLength: 1, maxLength: 200 }),
      client: ClientInfo,
      /** Dialects: a live link of an account confirmed meanwhile (by another link) answers 409 EMAIL_ALREADY_VERIFIED. */
      revealVerified: Type.Optional(Type.Boolean()),
    }),
    TokenPair,
  ),
  /** Renders nothing and spends nothing: tells the confirm page whether the link is still good. */
  inspectEmailLink: endpoint(
    'auth.verify-email.inspect',
    Type.Object({ token: Type.String({ maxLength: 200 }) }),
    Type.Object({
      valid: Type.Boolean(),
      email: Type.Union([Type.String(), Type.Null()]),
      /** The account's name and whether it is confirmed already (a dialect checks them before spending the link). */
      name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      verified: Type.Optional(Type.Boolean()),
    }),
    { idempotent: true },
  ),
  resendVerification: endpoint(
    'auth.verify-email.resend',
    Type.Object({ email: Email, client: ClientInfo, linkTemplate: Type.Optional(LinkTemplate) }),
    Accepted,
  ),
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
    Type.Object({
      login: Type.String({ minLength: 1, maxLength: 254 }),
      password: Password,
      client: ClientInfo,
      /** Dialects whose documents say "user doesn't exist": 404 USER_NOT_FOUND for an unknown login instead of 401. */
      revealUnknown: Type.Optional(Type.Boolean()),
      /** The `sessions` dialect, whose system never confirmed addresses: an unconfirmed account may log in. */
      allowUnverified: Type.Optional(Type.Boolean()),
    }),
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
  /** A long-lived opaque token for the caller's session (dialect clients cannot refresh); it dies with the session. */
  issueSessionToken: endpoint(
    'auth.session-token.issue',
    Type.Object({ caller: Caller }),
    Type.Object({ token: Type.String(), createdAt: Type.String(), expiresAt: Type.String() }),
  ),
  /** Who a session token stands for: 401 SESSION_INVALID (never issued) or SESSION_EXPIRED (its session ended). */
  resolveSessionToken: endpoint(
    'auth.session-token.resolve',
    Type.Object({ token: SessionTokenString }),
    Type.Object({
      userId: Type.String(),
      sessionId: Type.String(),
      role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
      createdAt: Type.String(),
      expiresAt: Type.String(),
    }),
    { idempotent: true },
  ),
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
    /** `emailMatch`: the query was exactly this user's address (the canonical route never shows it; a dialect may). */
    Page(Type.Object({ ...PublicUser.properties, emailMatch: Type.Optional(Type.Boolean()) })),
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
