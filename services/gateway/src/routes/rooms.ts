import { ChatEndpoints, ChatRoutes } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import { registerRoute } from '../lib/route.ts';
import type { Uploads } from '../lib/upload.ts';
import { attachmentRoutes } from './attachments.ts';

export interface RoomRoutesOptions {
  timeoutMs: number;
  uploads: Uploads;
}

/** API.md's Rooms section: rooms, members, messages, attachments (chat-notify + media over the bus). */
export async function roomRoutes(app: FastifyInstance, opts: RoomRoutesOptions): Promise<void> {
  await app.register(jsonRoutes, opts);
  await app.register(attachmentRoutes, opts);
}

async function jsonRoutes(app: FastifyInstance, opts: RoomRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const call = { timeoutMs: opts.timeoutMs };
  const read = { timeoutMs: opts.timeoutMs, retries: 1 };
  const R = ChatRoutes;

  registerRoute(app, R.createRoom, async ({ caller, body }) => bus.request(ChatEndpoints.createRoom, { caller, ...body }, call));
  registerRoute(app, R.listRooms, async ({ caller, query }) => bus.request(ChatEndpoints.listRooms, { caller, ...query }, read));
  registerRoute(app, R.getRoom, async ({ caller, params }) =>
    bus.request(ChatEndpoints.getRoom, { caller, roomId: params.id }, read),
  );
  registerRoute(app, R.addMember, async ({ caller, params, body }) =>
    bus.request(ChatEndpoints.addMember, { caller, roomId: params.id, userId: body.userId }, call),
  );
  registerRoute(app, R.removeMember, async ({ caller, params }) => {
    await bus.request(ChatEndpoints.removeMember, { caller, roomId: params.id, userId: params.userId }, call);
    return null;
  });
  registerRoute(app, R.postMessage, async ({ caller, params, body }) =>
    bus.request(ChatEndpoints.postMessage, { caller, roomId: params.id, ...body }, call),
  );
  registerRoute(app, R.listMessages, async ({ caller, params, query }) =>
    bus.request(ChatEndpoints.listMessages, { caller, roomId: params.id, ...query }, read),
  );
}
