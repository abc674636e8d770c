import { AuthEndpoints, AuthRoutes, ParleyError, Problem } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { registerRoute } from '../lib/route.ts';

export interface UserRoutesOptions {
  timeoutMs: number;
}

/** The Users section of API.md. */
export async function userRoutes(app: FastifyInstance, opts: UserRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const call = { timeoutMs: opts.timeoutMs };
  const read = { timeoutMs: opts.timeoutMs, retries: 1 };

  registerRoute(app, AuthRoutes.me, async ({ caller }) => bus.request(AuthEndpoints.me, { caller }, read));
  registerRoute(app, AuthRoutes.rename, async ({ caller, body }) =>
    bus.request(AuthEndpoints.rename, { caller, name: body.name }, call),
  );
  registerRoute(app, AuthRoutes.changePassword, async ({ caller, body }) => {
    await bus.request(AuthEndpoints.changePassword, { caller, ...body }, call);
    return null;
  });
  registerRoute(app, AuthRoutes.requestEmailChange, async ({ caller, body }) =>
    bus.request(AuthEndpoints.requestEmailChange, { caller, newEmail: body.newEmail }, call),
  );
  registerRoute(app, AuthRoutes.confirmEmailChange, async ({ caller, body }) =>
    bus.request(AuthEndpoints.confirmEmailChange, { caller, code: body.code }, call),
  );
  registerRoute(app, AuthRoutes.searchUsers, async ({ caller, query }) =>
    bus.request(AuthEndpoints.searchUsers, { caller, ...query }, read),
  );
  registerRoute(app, AuthRoutes.getUser, async ({ caller, params }) =>
    bus.request(AuthEndpoints.getUser, { caller, id: params.id }, read),
  );

  await app.register(avatarRoute);
}

/**
 * Avatars are stored by the media service, which this version does not have yet: the route exists,
 * authenticates, and says so with 503. Any body is accepted unread, so an upload gets that answer, not 415.
 */
async function avatarRoute(app: FastifyInstance): Promise<void> {
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  app.put(
    '/users/me/avatar',
    {
      schema: {
        summary: 'Set my avatar (multipart `file`, an image) — not available in this version',
        description:
          'Answers 503 SERVICE_UNAVAILABLE: avatar uploads need the media service, which is not part of this version yet. ' +
          'When it is, this takes multipart/form-data with one `file` part and answers 200 {avatarUrl}, 413 or 415.',
        tags: ['users'],
        consumes: ['multipart/form-data'],
        security: [{ bearer: [] }],
        response: {
          200: Type.Object({ avatarUrl: Type.Union([Type.String(), Type.Null()]) }),
          '4xx': Problem,
          503: { ...Problem, description: 'Always, in this version: the media service is not part of it yet' },
        },
      },
      onRequest: app.authenticate,
    },
    async () => {
      throw new ParleyError(
        'SERVICE_UNAVAILABLE',
        'Avatar uploads need the media service, which is not part of this version yet',
        {
          extra: { retryAfter: 86_400 },
        },
      );
    },
  );
}
