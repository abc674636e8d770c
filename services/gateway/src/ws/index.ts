import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config.ts';

export interface WebSocketOptions {
  config: GatewayConfig;
}

/** `GET /api/v1/ws`: numbered pushes from chat-notify's feed, resumable with `?since=`. */
export async function websocketRoutes(_app: FastifyInstance, _opts: WebSocketOptions): Promise<void> {
  // built in issue 5
}
