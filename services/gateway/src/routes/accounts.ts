import { AuthEndpoints, AuthRoutes } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import { registerRoute } from '../lib/route.ts';
import { verifyEmailRoutes } from './verify-email.ts';

export interface AccountRoutesOptions {
  timeoutMs: number;
}

/** The Accounts section of API.md: each route one call to the auth service. */
export async function accountRoutes(app: FastifyInstance, opts: AccountRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const { revocations } = app.tokenGuard;
  const call = { timeoutMs: opts.timeoutMs };
  const read = { timeoutMs: opts.timeoutMs, retries: 1 };

  registerRoute(app, AuthRoutes.register, async ({ body, client }) =>
    bus.request(AuthEndpoints.register, { ...body, client }, call),
  );
  await app.register(verifyEmailRoutes, opts);
  registerRoute(app, AuthRoutes.resendVerification, async ({ body, client }) =>
    bus.request(AuthEndpoints.resendVerification, { email: body.email, client }, call),
  );
  registerRoute(app, AuthRoutes.passwordStrength, async ({ body }) => bus.request(AuthEndpoints.passwordStrength, body, read));
  registerRoute(app, AuthRoutes.login, async ({ body, client }) => bus.request(AuthEndpoints.login, { ...body, client }, call));
  registerRoute(app, AuthRoutes.requestLoginCode, async ({ body, client }) =>
    bus.request(AuthEndpoints.requestLoginCode, { email: body.email, client }, call),
  );
  registerRoute(app, AuthRoutes.verifyLoginCode, async ({ body, client }) =>
    bus.request(AuthEndpoints.verifyLoginCode, { ...body, client }, call),
  );
  registerRoute(app, AuthRoutes.refresh, async ({ body, client }) =>
    bus.request(AuthEndpoints.refresh, { refreshToken: body.refreshToken, client }, call),
  );

  // The auth service tells every gateway; this one also stops the session itself, before it answers.
  registerRoute(app, AuthRoutes.logout, async ({ caller, req }) => {
    await bus.request(AuthEndpoints.logout, { caller }, call);
    revocations.add([caller.sessionId], req.tokenExpiresAt ?? 0);
    return null;
  });
  registerRoute(app, AuthRoutes.logoutAll, async ({ caller, req }) => {
    await bus.request(AuthEndpoints.logoutAll, { caller }, call);
    revocations.add([caller.sessionId], req.tokenExpiresAt ?? 0);
    return null;
  });
  registerRoute(app, AuthRoutes.session, async ({ caller }) => bus.request(AuthEndpoints.session, { caller }, read));
  registerRoute(app, AuthRoutes.listSessions, async ({ caller }) => bus.request(AuthEndpoints.listSessions, { caller }, read));
  registerRoute(app, AuthRoutes.revokeSession, async ({ caller, params }) => {
    await bus.request(AuthEndpoints.revokeSession, { caller, sessionId: params.id }, call);
    return null;
  });
}
