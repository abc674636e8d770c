import type { FastifyInstance } from 'fastify';
import type { Uploads } from '../lib/upload.ts';

export interface RoomRoutesOptions {
  timeoutMs: number;
  uploads: Uploads;
}

/** API.md's Rooms section: rooms, members, messages, attachments (chat-notify + media over the bus). */
export async function roomRoutes(_app: FastifyInstance, _opts: RoomRoutesOptions): Promise<void> {
  // built in issue 5
}
