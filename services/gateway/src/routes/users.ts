import multipart from '@fastify/multipart';
import { AuthEndpoints, AuthRoutes, AvatarReply, MediaEndpoints, MediaPaths, Problem } from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import { registerRoute } from '../lib/route.ts';
import type { Uploads } from '../lib/upload.ts';
import { multipartBody, uploadRouteOptions } from '../lib/upload-route.ts';

export interface UserRoutesOptions {
  timeoutMs: number;
  uploads: Uploads;
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

  await app.register(avatarRoute, opts);
}

/** API.md's avatar upload: an image checked by its bytes, stored as kind `avatar`, its URL set on my account. */
async function avatarRoute(app: FastifyInstance, opts: UserRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const call = { timeoutMs: opts.timeoutMs };
  await app.register(multipart);
  app.put(
    MediaPaths.avatar,
    {
      schema: {
        summary: 'Set my avatar: multipart `file`, a PNG, JPEG or WebP image (decided from its bytes)',
        tags: ['users'],
        ...multipartBody({}),
        security: [{ bearer: [] }],
        response: { 200: AvatarReply, '4xx': Problem, '5xx': Problem },
      },
      ...uploadRouteOptions,
      onRequest: app.authenticate,
    },
    (req, reply) =>
      runWithContext({ requestId: req.id }, async () => {
        const caller = req.caller!;
        const file = await opts.uploads.receive(req, reply, { kind: 'avatar' });
        const media = await bus.request(MediaEndpoints.register, { caller, ...file }, call);
        // The path, not a signed URL: it never expires, and any signed-in user may read an avatar.
        return bus.request(AuthEndpoints.setAvatar, { caller, avatarUrl: media.url }, call);
      }),
  );
}
