/** The rules both transports share, so they behave the same way. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EndpointDef, type EventDef, type EventEnvelope, ParleyError } from '@parley/contracts';
import { Value } from 'typebox/value';
import { currentRequestId, newRequestId, runWithContext } from '../context.ts';
import { isDatabaseUnavailable, unavailableReason } from '../db/unavailable.ts';
import type { Logger } from '../logger.ts';
import { errorBody, fromJson, toJson, toWireError, validate, validationFailed } from './codec.ts';
import { EVENT_ROOT } from './subject.ts';
import {
  type ConsumeOptions,
  type DeadLetter,
  type DeliveredEvent,
  type EmitOptions,
  type EventHandler,
  HEADER_REQUEST_ID,
  type Headers,
  type MessageContext,
  type RequestOptions,
} from './types.ts';

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_DELIVER = 5;
export const DEFAULT_ACK_WAIT_MS = 30_000;
/**
 * Deliveries one consumer copy handles at once. Handling them side by side keeps a
 * delivery from waiting behind a slow one (and redelivered when its ack wait ends).
 */
export const CONSUMER_CONCURRENCY = 8;
export const defaultBackoffMs = (deliveryCount: number): number => Math.min(250 * 2 ** (deliveryCount - 1), 30_000);

/** Tracks running handlers so stop/close can wait for them. */
export class InFlight {
  readonly #running = new Set<Promise<unknown>>();

  constructor(private readonly onError: (err: unknown) => void) {}

  run(fn: () => Promise<unknown>): void {
    const p = fn()
      .catch(this.onError)
      .finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}

/** Every outgoing message carries a request id: the caller's, or a fresh one so the far side can still correlate. */
export const outgoingHeaders = (headers?: Headers): Headers => ({
  ...headers,
  [HEADER_REQUEST_ID]: headers?.[HEADER_REQUEST_ID] ?? currentRequestId() ?? newRequestId(),
});

export const messageContext = (subject: string, headers: Headers): MessageContext => ({
  subject,
  headers,
  requestId: headers[HEADER_REQUEST_ID] ?? newRequestId(),
});

/** Runs a handler inside the request context the message came with. */
export const inContext = <T>(ctx: MessageContext, fn: () => T): T =>
  runWithContext({ requestId: ctx.requestId ?? newRequestId() }, fn);

export interface Reply {
  /** JSON text: the response, or `{error}` when `error` is set. */
  body: string;
  error?: { status: number; detail: string };
}

/** The responder side of request/reply: validate, run, check the reply against the schema, map errors. */
export const answer = async (
  endpoint: EndpointDef,
  handler: (request: unknown, ctx: MessageContext) => unknown,
  parse: () => unknown,
  ctx: MessageContext,
  logger: Logger,
): Promise<Reply> => {
  const fail = (err: unknown): Reply => {
    const wire = toWireError(err);
    return { body: errorBody(wire), error: { status: wire.status, detail: wire.detail } };
  };
  let request: unknown;
  try {
    request = parse();
  } catch {
    return fail(new ParleyError('BAD_REQUEST', 'Request body is not JSON'));
  }
  const issues = validate(endpoint.request, request);
  if (issues) return fail(validationFailed('request', issues));
  try {
    const body = toJson(await inContext(ctx, () => handler(request, ctx)));
    const bad = validate(endpoint.response, fromJson(body));
    if (bad) {
      logger.error({ subject: endpoint.subject, issues: bad }, 'bus: reply does not match the endpoint response schema');
      return fail(new Error('bad reply'));
    }
    return { body };
  } catch (err) {
    // An outage is no bug: one warn line without a stack (a restart under load fails thousands of requests).
    if (isDatabaseUnavailable(err)) {
      logger.warn({ subject: endpoint.subject, reason: unavailableReason(err) }, 'bus: database unavailable');
    } else if (!(err instanceof ParleyError) || err.status >= 500) {
      logger.error({ err, subject: endpoint.subject }, 'bus: handler failed');
    }
    return fail(err);
  }
};

const RETRY_DELAY_MS = 50;

/** Resends only idempotent endpoints, and only when nobody answered: a write is never sent twice. */
export const withRetries = async <T>(endpoint: EndpointDef, options: RequestOptions, attempt: () => Promise<T>): Promise<T> => {
  const extra = endpoint.idempotent ? Math.max(0, options.retries ?? 0) : 0;
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const retryable = err instanceof ParleyError && (err.code === 'SERVICE_UNAVAILABLE' || err.code === 'UPSTREAM_TIMEOUT');
      if (!retryable || i >= extra) throw err;
      await sleep(RETRY_DELAY_MS * 2 ** i);
    }
  }
};

export const assertEventSubject = (subject: string): void => {
  if (subject.split('.')[0] !== EVENT_ROOT) throw new Error(`event subjects live under "${EVENT_ROOT}.": got "${subject}"`);
};

/** Builds the envelope as it will be stored; data that does not match its schema is the emitter's bug. */
/** The stream subject of an envelope's event type (before the namespace). */
export const envelopeSubject = (envelope: EventEnvelope): string => {
  const subject = `evt.${envelope.type}`;
  assertEventSubject(subject);
  return subject;
};

export const buildEnvelope = (event: EventDef, data: unknown, options: EmitOptions, source: string): EventEnvelope => {
  assertEventSubject(event.subject);
  // Only the fields the event declares travel: a producer that hands over a whole row (with a hash or
  // a secret in it) cannot leak it into the log.
  const wireData = Value.Clean(event.data, fromJson(toJson(data)));
  const issues = validate(event.data, wireData);
  if (issues) {
    throw new Error(
      `event ${event.type} v${event.version}: invalid data: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    );
  }
  return {
    id: options.id ?? randomUUID(),
    type: event.type,
    version: event.version,
    at: new Date().toISOString(),
    source,
    actor: options.actor ?? null,
    subject: options.subject ?? null,
    requestId: options.requestId ?? currentRequestId() ?? null,
    ip: options.ip ?? null,
    userAgent: options.userAgent ?? null,
    data: wireData,
  };
};

export interface ConsumerPolicy {
  concurrency: number;
  maxDeliver: number;
  ackWaitMs: number;
  backoffMs: (deliveryCount: number) => number;
}

export const consumerPolicy = (options: ConsumeOptions): ConsumerPolicy => ({
  concurrency: Math.max(1, Math.floor(options.concurrency ?? CONSUMER_CONCURRENCY)),
  maxDeliver: Math.max(1, options.maxDeliver ?? DEFAULT_MAX_DELIVER),
  ackWaitMs: options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
  backoffMs: options.backoffMs ?? defaultBackoffMs,
});

/**
 * The server redelivers once more than the consumer allows, so a delivery whose
 * handler never answered (a crash, an expired ack wait) still ends as a dead letter.
 */
export const serverMaxDeliver = (policy: ConsumerPolicy): number => policy.maxDeliver + 1;

export type Verdict = { kind: 'ack' } | { kind: 'retry'; delayMs: number } | { kind: 'dead'; reason: string };

/** Runs an event handler for one delivery and says what to tell the stream. */
export const judge = async (
  handler: EventHandler,
  event: DeliveredEvent,
  policy: ConsumerPolicy,
  logger: Logger,
): Promise<Verdict> => {
  if (event.deliveryCount > policy.maxDeliver) {
    return { kind: 'dead', reason: `not acknowledged after ${policy.maxDeliver} deliveries` };
  }
  let outcome: string;
  let reason = 'retry requested by the consumer';
  try {
    const ctx = { requestId: event.envelope.requestId ?? newRequestId() };
    outcome = (await runWithContext(ctx, () => handler(event))) ?? 'ack';
  } catch (err) {
    logger.warn(
      { err, eventId: event.envelope.id, type: event.envelope.type, delivery: event.deliveryCount },
      'bus: event handler failed',
    );
    outcome = 'retry';
    reason = err instanceof Error ? err.message : String(err);
  }
  if (outcome === 'ack') return { kind: 'ack' };
  if (outcome === 'dead') return { kind: 'dead', reason: 'rejected by the consumer' };
  if (event.deliveryCount >= policy.maxDeliver) {
    return { kind: 'dead', reason: `failed ${event.deliveryCount} deliveries, last: ${reason}` };
  }
  return { kind: 'retry', delayMs: Math.max(0, policy.backoffMs(event.deliveryCount)) };
};

export const deadLetter = (durable: string, event: DeliveredEvent, reason: string): DeadLetter => ({
  durable,
  envelope: event.envelope,
  deliveries: event.deliveryCount,
  reason,
});
