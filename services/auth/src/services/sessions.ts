import { randomBytes } from 'node:crypto';
import { AuthEvents, type Caller } from '@parley/contracts';
import type { Session } from '../db/schema/sessions.ts';
import type { User } from '../db/schema/users.ts';
import { authError } from '../errors.ts';
import { sha256 } from './codes.ts';
import type { AuthDeps, TxRepositories } from './deps.ts';
import { by } from './events.ts';
import { announceRevocation, liveRevocations } from './revocations.ts';
import { roleOf } from './views.ts';

const sessionInvalid = () => authError('SESSION_INVALID', 'This session has ended');

export const createSessions = (deps: AuthDeps) => {
  const { repos, now } = deps;
  const isLive = (s: Session | undefined, caller: Caller): s is Session =>
    s !== undefined && s.userId === caller.userId && !s.revokedAt && s.expiresAt > now();

  return {
    /**
     * The caller's session and account, checked against the database: the gateway verified the token,
     * but changes to the account itself also need the session to still be live here.
     */
    async requireLive(caller: Caller): Promise<{ session: Session; user: User }> {
      const session = await repos.sessions.findById(caller.sessionId);
      const user = isLive(session, caller) ? await repos.users.findById(caller.userId) : undefined;
      if (!user || !session) throw sessionInvalid();
      return { session, user };
    },

    /** A long-lived opaque token for the caller's live session: `ps_` and 32 random bytes; only its sha256 is stored. */
    async issueToken(caller: Caller) {
      const s = await repos.sessions.findById(caller.sessionId);
      if (!isLive(s, caller)) throw sessionInvalid();
      const token = `ps_${randomBytes(32).toString('base64url')}`;
      const at = now();
      await repos.sessionTokens.insert({ hash: sha256(token), sessionId: s.id, createdAt: at });
      return { token, createdAt: at.toISOString(), expiresAt: s.expiresAt.toISOString() };
    },

    /** Who a session token stands for, while its session lives. */
    async resolveToken(token: string) {
      const found = await repos.sessionTokens.find(sha256(token));
      if (!found) throw authError('SESSION_INVALID', 'No such session token');
      const { session, user } = found;
      if (session.revokedAt || session.expiresAt <= now()) throw authError('SESSION_EXPIRED', 'This session has ended');
      return {
        userId: user.id,
        sessionId: session.id,
        role: roleOf(user, deps.admins),
        createdAt: session.createdAt.toISOString(),
        expiresAt: session.expiresAt.toISOString(),
      };
    },

    async session(caller: Caller) {
      const s = await repos.sessions.findById(caller.sessionId);
      if (!isLive(s, caller)) throw sessionInvalid();
      return { sessionId: s.id, userId: s.userId, expiresAt: s.expiresAt.toISOString() };
    },

    async list(caller: Caller) {
      const rows = await repos.sessions.listLive(caller.userId, now());
      return {
        items: rows.map((s) => ({
          id: s.id,
          createdAt: s.createdAt.toISOString(),
          lastUsedAt: s.lastUsedAt.toISOString(),
          expiresAt: s.expiresAt.toISOString(),
          ip: s.ip,
          userAgent: s.userAgent,
          current: s.id === caller.sessionId,
        })),
      };
    },

    async logout(caller: Caller): Promise<{ done: true }> {
      const s = await repos.sessions.findById(caller.sessionId);
      if (s?.userId !== caller.userId) return { done: true };
      const revoked = await deps.transaction(async (tx) => {
        const revoked = await tx.sessions.revoke(s.id, now(), 'logout');
        if (revoked.length > 0) {
          const data = { userId: caller.userId, sessionIds: [s.id], all: false };
          await tx.events.stage(AuthEvents.loggedOut, data, who(caller));
        }
        return revoked;
      });
      if (revoked.length > 0) announceRevocation(deps, [s.id]);
      return { done: true };
    },

    async logoutAll(caller: Caller): Promise<{ done: true }> {
      const sessionIds = await deps.transaction(async (tx) => {
        const revoked = await tx.sessions.revokeAllOfUser(caller.userId, now(), 'logout-all');
        const sessionIds = revoked.map((r) => r.id);
        await tx.events.stage(AuthEvents.loggedOut, { userId: caller.userId, sessionIds, all: true }, who(caller));
        return sessionIds;
      });
      announceRevocation(deps, sessionIds);
      return { done: true };
    },

    /** Another user's session is answered exactly like one that does not exist. */
    async revoke(caller: Caller, sessionId: string): Promise<{ done: true }> {
      const s = await repos.sessions.findById(sessionId);
      if (s?.userId !== caller.userId) throw authError('SESSION_NOT_FOUND', 'No such session');
      const reason = 'revoked-by-user';
      const revoked = await deps.transaction(async (tx) => {
        const revoked = await tx.sessions.revoke(s.id, now(), reason);
        if (revoked.length > 0) await revokedEvents(tx, caller, [s.id], reason);
        return revoked;
      });
      if (revoked.length > 0) announceRevocation(deps, [s.id]);
      return { done: true };
    },

    /**
     * Every other session of the user (e.g. after a password change), in the caller's transaction.
     * Returns their ids, for `announceRevocation` once it has committed.
     */
    async revokeOthers(tx: TxRepositories, caller: Caller, reason: string): Promise<string[]> {
      const revoked = await tx.sessions.revokeAllOfUser(caller.userId, now(), reason, caller.sessionId);
      const sessionIds = revoked.map((r) => r.id);
      await revokedEvents(tx, caller, sessionIds, reason);
      return sessionIds;
    },

    liveRevocations: () => liveRevocations(deps),
  };
};
export type Sessions = ReturnType<typeof createSessions>;

/** The caller acting on their own account. */
export const who = (caller: Caller) => by(caller.userId, caller);

const revokedEvents = async (tx: TxRepositories, caller: Caller, sessionIds: string[], reason: string): Promise<void> => {
  for (const sessionId of sessionIds) {
    await tx.events.stage(AuthEvents.sessionRevoked, { userId: caller.userId, sessionId, reason }, who(caller));
  }
};
