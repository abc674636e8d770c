import { counterOf, gaugeOf, type Metrics } from '@parley/kit';

type Registry = Metrics['registry'];

export type CloseReason =
  | 'client'
  | 'slow_consumer'
  | 'session_ended'
  | 'heartbeat'
  | 'going_away'
  | 'feed_unavailable'
  | 'too_big'
  | 'error';

export interface WsMetrics {
  /** A gateway's open sockets and the bytes waiting in their send buffers; summed over the gateways of this registry. */
  track(source: SocketStats): () => void;
  closed(reason: CloseReason): void;
  eventsSent(n?: number): void;
  backfill(outcome: 'ok' | 'failed'): void;
}

export interface SocketStats {
  open(): number;
  bufferedBytes(): number;
}

// Per registry: in embedded mode and in tests several gateways share one, and sum into these.
const sources = new WeakMap<Registry, Set<SocketStats>>();

export const wsMetrics = (registry: Registry): WsMetrics => {
  let tracked = sources.get(registry);
  if (!tracked) {
    const all = new Set<SocketStats>();
    tracked = all;
    sources.set(registry, all);
    const sum = (read: (s: SocketStats) => number) => [...all].reduce((n, s) => n + read(s), 0);
    gaugeOf(registry, {
      name: 'parley_ws_open_sockets',
      help: 'WebSockets open now',
      collect: (g) => g.set(sum((s) => s.open())),
    });
    gaugeOf(registry, {
      name: 'parley_ws_buffered_bytes',
      help: 'Bytes waiting in the WebSockets’ send buffers (past what the kernel took)',
      collect: (g) => g.set(sum((s) => s.bufferedBytes())),
    });
  }
  const closes = counterOf(registry, {
    name: 'parley_ws_closes_total',
    help: 'WebSockets closed by the gateway or the client, by reason',
    labelNames: ['reason'],
  });
  const sent = counterOf(registry, { name: 'parley_ws_events_sent_total', help: 'Numbered feed events sent to sockets' });
  const backfills = counterOf(registry, {
    name: 'parley_ws_backfills_total',
    help: 'Feed reads that replayed a resume or filled a gap, by outcome',
    labelNames: ['outcome'],
  });
  const sockets = tracked;
  return {
    track(source) {
      sockets.add(source);
      return () => sockets.delete(source);
    },
    closed: (reason) => closes.inc({ reason }),
    eventsSent: (n = 1) => sent.inc(n),
    backfill: (outcome) => backfills.inc({ outcome }),
  };
};
