import { randomBytes, randomUUID } from 'node:crypto';
import { AuthEvents, type ClientInfo, type EventData, type TokenPair } from '@parley/contracts';
import type { RefreshToken } from '../db/schema/refresh-tokens.ts';
import type { Session } from '../db/schema/sessions.ts';
import type { User } from '../db/schema/users.ts';
import { authError } from '../errors.ts';
import { sha256 } from './codes.ts';
import { type AuthDeps, addSeconds } from './deps.ts';
import { by } from './events.ts';
import { announceRevocation } from './revocations.ts';
import { roleOf, toUserSelf } from './views.ts';

export type LoginMethod = EventData<typeof AuthEvents.loginSucceeded>['method'];

const refreshInvalid = () => authError('REFRESH_INVALID', 'The refresh token is not valid');

/** Sessions, their access tokens and their rotating refresh tokens. */
export const createTokens = (deps: AuthDeps) => {
  const { config, keys, repos, now, admins } = deps;

  /** `<sessionId>.<32 random bytes>`; only its sha256 is stored. */
  const newRefreshToken = (sessionId: string, at: Date): { token: string; row: RefreshToken } => {
    const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    const expiresAt = addSeconds(at, config.REFRESH_TOKEN_TTL_SECONDS);
    return { token, row: { hash: sha256(token), sessionId, createdAt: at, expiresAt, spentAt: null } };
  };

  // Signed before any transaction: signing may read the key table, which must not wait on our own transaction.
  const accessToken = (user: User, sessionId: string) => keys.sign({ sub: user.id, sid: sessionId, role: roleOf(user, admins) });

  const pair = (user: User, sessionId: string, access: { token: string; expiresIn: number }, refresh: string): TokenPair => ({
    accessToken: access.token,
    refreshToken: refresh,
    tokenType: 'Bearer',
    expiresIn: access.expiresIn,
    refreshExpiresIn: config.REFRESH_TOKEN_TTL_SECONDS,
    sessionId,
    user: toUserSelf(user, admins),
  });

  const reused = async (session: Session, client: ClientInfo): Promise<never> => {
    const reason = 'refresh-token-reuse';
    const revoked = await deps.transaction(async (tx) => {
      const revoked = await tx.sessions.revoke(session.id, now(), reason);
      if (revoked.length > 0) {
        const data = { userId: session.userId, sessionId: session.id, reason };
        await tx.events.stage(AuthEvents.sessionRevoked, data, by(null, client, session.userId));
      }
      return revoked;
    });
    if (revoked.length > 0) announceRevocation(deps, [session.id]);
    throw refreshInvalid();
  };

  return {
    /** A new session for someone who just proved who they are. */
    async startSession(user: User, client: ClientInfo, method: LoginMethod): Promise<TokenPair> {
      const at = now();
      const sessionId = randomUUID();
      const access = await accessToken(user, sessionId);
      const refresh = newRefreshToken(sessionId, at);
      await deps.transaction(async (tx) => {
        await tx.sessions.insert({
          id: sessionId,
          userId: user.id,
          createdAt: at,
          lastUsedAt: at,
          expiresAt: refresh.row.expiresAt,
          ip: client.ip,
          userAgent: client.userAgent,
        });
        await tx.refreshTokens.insert(refresh.row);
        // In the same transaction: a login whose record cannot be written is rolled back, not granted.
        await tx.events.stage(AuthEvents.loginSucceeded, { userId: user.id, sessionId, method }, by(user.id, client));
      });
      return pair(user, sessionId, access, refresh.token);
    },

    /** Spends the refresh token for a new pair. A spent one coming back means a copy exists: the session dies. */
    async refresh(token: string, client: ClientInfo): Promise<TokenPair> {
      const at = now();
      const hash = sha256(token);
      const stored = await repos.refreshTokens.find(hash);
      const session = stored ? await repos.sessions.findById(stored.sessionId) : undefined;
      if (!stored || !session || session.revokedAt || session.expiresAt <= at) throw refreshInvalid();
      if (stored.spentAt) return reused(session, client);
      if (stored.expiresAt <= at) throw refreshInvalid();
      // Two requests racing with one token: only one spends it; the other is treated as reuse.
      if (!(await repos.refreshTokens.spend(hash, at))) return reused(session, client);
      const user = await repos.users.findById(session.userId);
      if (!user) throw refreshInvalid();
      const access = await accessToken(user, session.id);
      const next = newRefreshToken(session.id, at);
      await deps.transaction(async (tx) => {
        await tx.refreshTokens.insert(next.row);
        await tx.sessions.touch(session.id, at, next.row.expiresAt);
      });
      return pair(user, session.id, access, next.token);
    },
  };
};
export type Tokens = ReturnType<typeof createTokens>;
