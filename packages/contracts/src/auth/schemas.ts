import { type Static, Type } from 'typebox';

/** 2–32 letters, digits, `_`, `.` or `-`; unique regardless of case. */
export const UserName = Type.String({ minLength: 2, maxLength: 32, pattern: '^[\\p{L}\\p{N}_.-]+$' });
export const Email = Type.String({ format: 'email', maxLength: 254 });
/** Long passphrases welcome; the strength rule decides what is acceptable. */
export const Password = Type.String({ minLength: 1, maxLength: 256 });
export const SixDigitCode = Type.String({ pattern: '^[0-9]{6}$' });
/** A mailed email-verification code: six digits, or four letters/digits where a dialect asked for that format (any case). */
export const VerificationCode = Type.String({ pattern: '^([0-9]{6}|[A-Za-z0-9]{4})$' });
/** How a mailed verification code looks: canonical six digits, or the `status-codes` dialect's four letters/digits. */
export const CodeFormat = Type.Union([Type.Literal('digits6'), Type.Literal('alnum4')]);
export type CodeFormat = Static<typeof CodeFormat>;
/**
 * Where a mailed confirmation link points, for a dialect with a confirm route of its own: an absolute URL under
 * PUBLIC_URL holding `{token}` (the auth service refuses any other). Unset: the canonical confirm page.
 */
export const LinkTemplate = Type.String({ minLength: 8, maxLength: 500, pattern: '\\{token\\}' });
/** A long-lived opaque token standing for one session (what the seed dialects hand their clients). */
export const SessionTokenString = Type.String({ minLength: 1, maxLength: 200 });
export const Id = Type.String({ minLength: 1, maxLength: 64 });

export const UserSelf = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  emailVerified: Type.Boolean(),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type UserSelf = Static<typeof UserSelf>;

export const PublicUser = Type.Object({
  id: Type.String(),
  name: Type.String(),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
});
export type PublicUser = Static<typeof PublicUser>;

export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: Type.Integer(),
  /** Seconds until the refresh token expires. */
  refreshExpiresIn: Type.Integer(),
  sessionId: Type.String(),
  user: UserSelf,
});
export type TokenPair = Static<typeof TokenPair>;

export const Verification = Type.Object({
  method: Type.Union([Type.Literal('code'), Type.Literal('link')]),
  sentTo: Type.String(),
  expiresInSeconds: Type.Integer(),
});

export const PasswordStrength = Type.Object({
  score: Type.Integer({ minimum: 0, maximum: 4 }),
  acceptable: Type.Boolean(),
  feedback: Type.Object({ warning: Type.Union([Type.String(), Type.Null()]), suggestions: Type.Array(Type.String()) }),
});
export type PasswordStrength = Static<typeof PasswordStrength>;

export const SessionInfo = Type.Object({
  sessionId: Type.String(),
  userId: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
});

export const SessionListItem = Type.Object({
  id: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});

export const Jwk = Type.Object(
  {
    kty: Type.String(),
    kid: Type.String(),
    alg: Type.String(),
    use: Type.String(),
    crv: Type.Optional(Type.String()),
    x: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export const Jwks = Type.Object({ keys: Type.Array(Jwk) });
export type Jwks = Static<typeof Jwks>;

/** Who is asking, as the gateway saw it: passed on every bus call that acts for a client. */
export const ClientInfo = Type.Object({
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
});
export type ClientInfo = Static<typeof ClientInfo>;

/** An authenticated caller: the verified access token's subject and session. */
export const Caller = Type.Object({
  userId: Type.String(),
  sessionId: Type.String(),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  /** From the verified access token (ADMIN_EMAILS at login); absent = 'user'. */
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin')])),
});
export type Caller = Static<typeof Caller>;

export const Page = <T extends import('typebox').TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
