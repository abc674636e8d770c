import { AuthEndpoints } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { AuthDomain } from '../services/index.ts';

/** The caller's sessions, revocations, and the signing keys gateways verify with. */
export const sessionHandlers = (kit: ServiceKit, { sessions, keys }: AuthDomain): void => {
  kit.serve(AuthEndpoints.logout, ({ caller }) => sessions.logout(caller));
  kit.serve(AuthEndpoints.logoutAll, ({ caller }) => sessions.logoutAll(caller));
  kit.serve(AuthEndpoints.session, ({ caller }) => sessions.session(caller));
  kit.serve(AuthEndpoints.listSessions, ({ caller }) => sessions.list(caller));
  kit.serve(AuthEndpoints.revokeSession, ({ caller, sessionId }) => sessions.revoke(caller, sessionId));
  kit.serve(AuthEndpoints.issueSessionToken, ({ caller }) => sessions.issueToken(caller));
  kit.serve(AuthEndpoints.resolveSessionToken, ({ token }) => sessions.resolveToken(token));
  kit.serve(AuthEndpoints.liveRevocations, () => sessions.liveRevocations());
  kit.serve(AuthEndpoints.jwks, () => keys.jwks());
  kit.serve(AuthEndpoints.rotateKeys, async () => ({ kid: await keys.rotate() }));
};
