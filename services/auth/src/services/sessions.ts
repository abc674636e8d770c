import { AuthEvents, type Caller } from '@parley/contracts';
import type { Session } from '../db/schema/sessions.ts';
import type { User } from '../db/schema/users.ts';
import { authError } from '../errors.ts';
import type { AuthDeps } from './deps.ts';
import { record } from './events.ts';
import { announceRevocation, liveRevocations } from './revocations.ts';

const sessionInvalid = () => authError('SESSION_INVALID', 'This session has ended');

export const createSessions = (deps: AuthDeps) => {
  const { repos, now, bus } = deps;
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
      const revoked = await repos.sessions.revoke(s.id, now(), 'logout');
      if (revoked.length > 0) {
        announceRevocation(deps, [s.id]);
        await record(bus, AuthEvents.loggedOut, { userId: caller.userId, sessionIds: [s.id], all: false }, who(caller));
      }
      return { done: true };
    },

    async logoutAll(caller: Caller): Promise<{ done: true }> {
      const revoked = await repos.sessions.revokeAllOfUser(caller.userId, now(), 'logout-all');
      const sessionIds = revoked.map((r) => r.id);
      announceRevocation(deps, sessionIds);
      await record(bus, AuthEvents.loggedOut, { userId: caller.userId, sessionIds, all: true }, who(caller));
      return { done: true };
    },

    /** Another user's session is answered exactly like one that does not exist. */
    async revoke(caller: Caller, sessionId: string): Promise<{ done: true }> {
      const s = await repos.sessions.findById(sessionId);
      if (s?.userId !== caller.userId) throw authError('SESSION_NOT_FOUND', 'No such session');
      const reason = 'revoked-by-user';
      const revoked = await repos.sessions.revoke(s.id, now(), reason);
      if (revoked.length > 0) {
        announceRevocation(deps, [s.id]);
        await record(bus, AuthEvents.sessionRevoked, { userId: caller.userId, sessionId: s.id, reason }, who(caller));
      }
      return { done: true };
    },

    /** Every other session of the user, e.g. after a password change. */
    async revokeOthers(caller: Caller, reason: string): Promise<void> {
      const revoked = await repos.sessions.revokeAllOfUser(caller.userId, now(), reason, caller.sessionId);
      announceRevocation(
        deps,
        revoked.map((r) => r.id),
      );
      for (const r of revoked) {
        await record(bus, AuthEvents.sessionRevoked, { userId: caller.userId, sessionId: r.id, reason }, who(caller));
      }
    },

    liveRevocations: () => liveRevocations(deps),
  };
};
export type Sessions = ReturnType<typeof createSessions>;

export const who = (caller: Caller) => ({ actor: caller.userId, client: { ip: caller.ip, userAgent: caller.userAgent } });
