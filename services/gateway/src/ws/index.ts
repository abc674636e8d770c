import websocket from '@fastify/websocket';
import { ChatPaths, ParleyError, PROBLEM_CONTENT_TYPE, Problem, WsCloseCodes, WsQuery } from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { GatewayConfig } from '../config.ts';
import { problem } from '../plugins/problem.ts';
import { type Connection, createConnection, INTERNAL_ERROR } from './connection.ts';
import { wsMetrics } from './metrics.ts';
import { createOriginCheck } from './origin.ts';
import { createSocketRegistry } from './registry.ts';
import { closeAll, subscribeFanOut } from './subscriptions.ts';

export interface WebSocketOptions {
  config: GatewayConfig;
}

/** A bigger incoming frame closes the socket with 1009 (`WsCloseCodes.TOO_BIG`). */
export const MAX_FRAME_BYTES = 64 * 1024;
const CLOSE_GRACE_MS = 5_000;
const PENDING_MAX = 10_000;
const IN_FLIGHT_MAX = 8;

/** The access token may ride in the query: never log it. */
const withoutToken = (url: string): string => url.replace(/([?&]token=)[^&]*/gi, '$1[redacted]');

/** `GET /api/v1/ws`: numbered pushes from chat-notify's feed, resumable with `?since=`. */
export async function websocketRoutes(app: FastifyInstance, opts: WebSocketOptions): Promise<void> {
  const { config } = opts;
  const { bus } = app.parley;
  const metrics = wsMetrics(app.parley.metrics.registry);
  const registry = createSocketRegistry<Connection>();
  const originAllowed = createOriginCheck(config.WS_ALLOWED_ORIGINS, config.PUBLIC_URL ?? `http://localhost:${config.PORT}`);

  await app.register(websocket, {
    options: { maxPayload: MAX_FRAME_BYTES },
    // Clients are told to reconnect elsewhere, so `app.close()` never waits on an open socket.
    preClose: async () => {
      await closeAll(registry, WsCloseCodes.GOING_AWAY, 'the gateway is shutting down', 'going_away', CLOSE_GRACE_MS + 1_000);
    },
    // Protocol errors (a frame over the limit, bad framing) have already closed the socket with their code.
    errorHandler: (err, socket, req) => {
      req.log.info({ reason: err.message }, 'websocket error');
      if (socket.readyState === socket.OPEN) socket.terminate();
    },
  });
  const fanOut = subscribeFanOut({ bus, log: app.log, registry });
  const heartbeat = setInterval(() => {
    for (const conn of registry.all()) conn.heartbeat();
  }, config.WS_PING_INTERVAL_MS).unref();
  const untrack = metrics.track({
    open: () => registry.size,
    bufferedBytes: () => {
      let bytes = 0;
      for (const conn of registry.all()) bytes += conn.bufferedBytes;
      return bytes;
    },
  });
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    untrack();
    await fanOut.stop();
  });

  app.route({
    method: 'GET',
    url: ChatPaths.ws,
    config: { tokenInQuery: true },
    logSerializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: withoutToken(req.url), remoteAddress: req.ip }),
    },
    schema: {
      summary: 'Open the WebSocket: numbered feed events, live and resumable with `?since=` (see docs/websocket.md)',
      description:
        'Upgrade with `Authorization: Bearer <accessToken>` or `?token=`. The first frame is `hello`; events carry a per-user `seq`.',
      tags: ['rooms'],
      querystring: WsQuery,
      security: [{ bearer: [] }],
      response: {
        101: Type.Null({ description: 'Switching Protocols: the WebSocket is open' }),
        426: Problem,
        '4xx': Problem,
        '5xx': Problem,
      },
    },
    // Refused before the upgrade, as an HTTP problem the client can read.
    onRequest: async (req) => {
      const origin = req.headers.origin;
      if (!originAllowed(origin)) {
        throw new ParleyError('FORBIDDEN', `Origin ${String(origin).slice(0, 200)} may not open the WebSocket`);
      }
      await app.authenticate(req);
    },
    // A plain GET (no upgrade) lands here.
    handler: async (_req, reply) =>
      reply
        .code(426)
        .header('upgrade', 'websocket')
        .type(PROBLEM_CONTENT_TYPE)
        .send(problem(426, 'UPGRADE_REQUIRED', 'This URL is a WebSocket: connect with an Upgrade: websocket request')),
    wsHandler: (socket, req) => {
      const caller = req.caller;
      if (!caller) return socket.close(WsCloseCodes.SESSION_ENDED, 'not authenticated');
      const { since } = req.query as Static<typeof WsQuery>;
      const conn = createConnection({
        socket,
        caller,
        since,
        bus,
        log: req.log,
        metrics,
        limits: {
          maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
          busTimeoutMs: config.BUS_TIMEOUT_MS,
          closeGraceMs: CLOSE_GRACE_MS,
          pendingMax: PENDING_MAX,
          inFlightMax: IN_FLIGHT_MAX,
        },
        onClosed: (c) => registry.remove(c),
      });
      // Registered before the feed is read, so no live push falls between the read and the first event.
      registry.add(conn);
      // A revocation heard between the token check and now found no socket to close.
      if (app.tokenGuard.revocations.has(caller.sessionId)) {
        return conn.end(WsCloseCodes.SESSION_ENDED, 'the session has ended', 'session_ended');
      }
      req.log.info({ userId: caller.userId, sessionId: caller.sessionId, since }, 'websocket connected');
      void runWithContext({ requestId: req.id }, () => conn.open()).catch((err: unknown) => {
        req.log.error({ err }, 'websocket open failed');
        conn.end(INTERNAL_ERROR, 'internal error', 'error');
      });
    },
  });
}
