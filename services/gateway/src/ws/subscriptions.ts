import { Push, PushSubject, RevocationSubject, Revoked, WsCloseCodes } from '@parley/contracts';
import type { Bus } from '@parley/kit';
import type { FastifyBaseLogger } from 'fastify';
import { Compile } from 'typebox/compile';
import type { Connection } from './connection.ts';
import type { CloseReason } from './metrics.ts';
import type { SocketRegistry } from './registry.ts';

export interface FanOutOptions {
  bus: Bus;
  log: FastifyBaseLogger;
  registry: SocketRegistry<Connection>;
}

const pushes = Compile(Push);
const revocations = Compile(Revoked);

/**
 * Every gateway hears every push and every revocation (core subjects, no queue group) and acts on
 * the sockets it holds. An event is serialized once; each recipient's seq is spliced onto it.
 */
export const subscribeFanOut = ({ bus, log, registry }: FanOutOptions): { stop(): Promise<void> } => {
  const subscriptions = [
    bus.subscribe(PushSubject, (data) => {
      if (!pushes.Check(data)) return log.warn('ignored a malformed push');
      if (registry.size === 0) return;
      let head: string | undefined;
      for (const [userId, seq] of data.recipients) {
        const conns = registry.byUser(userId);
        if (!conns) continue;
        head ??= JSON.stringify(data.event).slice(0, -1);
        const item = { seq, text: `${head},"seq":${seq}}` };
        for (const conn of conns) conn.offer(item);
      }
    }),
    // The session, not the access token's expiry, decides how long a socket lives.
    bus.subscribe(RevocationSubject, (data) => {
      if (!revocations.Check(data)) return log.warn('ignored a malformed revocation');
      for (const sessionId of data.sessionIds) {
        const conns = registry.bySession(sessionId);
        if (!conns) continue;
        for (const conn of [...conns]) conn.end(WsCloseCodes.SESSION_ENDED, 'the session has ended', 'session_ended');
      }
    }),
  ];
  return { stop: async () => void (await Promise.allSettled(subscriptions.map((s) => s.stop()))) };
};

/** Closes every socket and waits (bounded by each socket's close grace) until they are all gone. */
export const closeAll = async (
  registry: SocketRegistry<Connection>,
  code: number,
  reason: string,
  why: CloseReason,
  withinMs: number,
): Promise<void> => {
  for (const conn of [...registry.all()]) conn.end(code, reason, why);
  const deadline = Date.now() + withinMs;
  while (registry.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
};
