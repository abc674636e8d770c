/** What bench/audit-outbox.bench.ts and its server (audit-outbox-server.ts) agree on. */

export const OutboxRoutes = { direct: '/write/direct', outbox: '/write/outbox', emit: '/write/emit' } as const;

/** The routes whose event is timed from commit to delivery. */
export type DelayedRoute = 'outbox' | 'emit';

export interface DelayReport {
  /** COMMIT sent → event delivered to the consumer, ms, per route. */
  delays: Record<DelayedRoute, number[]>;
  /** Recorded commits whose event never arrived within the wait. */
  missing: number;
}

/** The body every write route takes: a chat message's metadata, as chat-notify would store it. */
export interface WriteBody {
  roomId: string;
  senderId: string;
  length: number;
}
