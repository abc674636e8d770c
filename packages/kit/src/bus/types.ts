import type { EndpointDef, EndpointRequest, EndpointResponse, EventDef, EventEnvelope } from '@parley/contracts';

export type Headers = Record<string, string>;

/** Header names that travel on every bus message. */
export const HEADER_REQUEST_ID = 'x-request-id';
/** The NATS services API convention, so generic NATS tooling reads our errors. */
export const HEADER_ERROR = 'Nats-Service-Error';
export const HEADER_ERROR_CODE = 'Nats-Service-Error-Code';

export interface RequestOptions {
  /** Per-call deadline; `UPSTREAM_TIMEOUT` (504) when no reply came in time. Default 5000. */
  timeoutMs?: number;
  headers?: Headers;
  /**
   * Extra attempts after no responder / a timeout. Only honoured for endpoints
   * marked idempotent: a write is never sent twice behind the caller's back.
   */
  retries?: number;
}

export interface MessageContext {
  subject: string;
  headers: Headers;
  requestId: string | undefined;
}

export type EndpointHandler<E extends EndpointDef> = (
  request: EndpointRequest<E>,
  ctx: MessageContext,
) => Promise<EndpointResponse<E>> | EndpointResponse<E>;

export interface ServeOptions {
  /** Queue group; copies in one group split the load. Default: the bus's `queue`. */
  queue?: string;
}

export interface SubscribeOptions {
  /** Queue group: one member of each group gets each message. None: every subscriber gets it. */
  queue?: string;
}

export interface Subscription {
  /** Stops receiving; messages already being handled finish. */
  stop(): Promise<void>;
}

export interface DeliveredEvent<T = unknown> {
  envelope: EventEnvelope & { data: T };
  subject: string;
  /** 1 on first delivery. */
  deliveryCount: number;
  headers: Headers;
}

export interface ConsumeOptions {
  /** Durable name: the consumer's position survives restarts; copies with the same name share the work. */
  durable: string;
  /** Subject filter under the namespace, NATS wildcards allowed, e.g. `evt.>` or `evt.auth.*`. */
  subject: string;
  /** Deliveries before the event goes to the dead-letter stream. Default 5. */
  maxDeliver?: number;
  /** Delay before redelivery n (n = 1..), ms. Default 250 · 2^(n-1), capped at 30 s. */
  backoffMs?: (deliveryCount: number) => number;
  /** How long an unacknowledged delivery waits before it is redelivered. Default 30 s. */
  ackWaitMs?: number;
  /**
   * Deliveries this copy handles at once (and pulls ahead). Default 8. A consumer that commits
   * in groups (the audit log) raises it so a group can fill.
   */
  concurrency?: number;
}

/**
 * What a consumer says about an event. Throwing is the same as `retry`;
 * on the last allowed delivery a retry becomes a dead letter.
 */
export type EventOutcome = 'ack' | 'retry' | 'dead';

export type EventHandler<T = unknown> = (
  event: DeliveredEvent<T>,
) => Promise<EventOutcome | undefined> | EventOutcome | undefined;

export interface EmitOptions {
  id?: string;
  actor?: string | null;
  subject?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  headers?: Headers;
}

export interface DeadLetter {
  durable: string;
  envelope: EventEnvelope;
  deliveries: number;
  reason: string;
}

export interface PublishEnvelopeOptions {
  timeoutMs?: number;
  /**
   * The stream's dedupe key; default the envelope's id. Only tests set another, to deliver the same
   * event twice past the duplicate window (as a publish retried after the window, or a lost ack, would).
   */
  msgId?: string;
}

export type Transport = 'memory' | 'nats';

/**
 * The one interface every service talks through. Two transports: NATS
 * (core request/reply + JetStream) and in-process, with the same semantics.
 * All subjects are relative: the bus puts its namespace in front.
 */
export interface Bus {
  readonly transport: Transport;
  readonly namespace: string;

  /** Request/reply. Throws `ParleyError`: the responder's coded error, `SERVICE_UNAVAILABLE` (503) when nobody serves the subject, `UPSTREAM_TIMEOUT` (504). */
  request<E extends EndpointDef>(
    endpoint: E,
    payload: EndpointRequest<E>,
    options?: RequestOptions,
  ): Promise<EndpointResponse<E>>;

  /** Answer an endpoint. Requests are validated against its schema (400 VALIDATION_FAILED); thrown `ParleyError`s cross the wire intact, anything else becomes 500 INTERNAL. */
  serve<E extends EndpointDef>(endpoint: E, handler: EndpointHandler<E>, options?: ServeOptions): Subscription;

  /** Fire-and-forget, at most once (core NATS). */
  publish(subject: string, data: unknown, headers?: Headers): void;
  subscribe(
    subject: string,
    handler: (data: unknown, ctx: MessageContext) => void | Promise<void>,
    options?: SubscribeOptions,
  ): Subscription;

  /** Durable, at least once: resolves when the stream has stored it. Returns the event id. */
  emit<E extends EventDef>(event: E, data: import('typebox').Static<E['data']>, options?: EmitOptions): Promise<string>;

  /**
   * Publishes an envelope built earlier (an outbox row) on `evt.<type>`, its id as the message id so
   * the stream drops a repeat within its duplicate window. Resolves when the stream has stored it.
   */
  publishEnvelope(envelope: EventEnvelope, options?: PublishEnvelopeOptions): Promise<void>;

  /** Durable consumer. Resolves when the consumer is attached. */
  consume<T = unknown>(options: ConsumeOptions, handler: EventHandler<T>): Promise<Subscription>;

  /** Reads the dead-letter stream (for operators and tests). */
  deadLetters(durable: string): Promise<DeadLetter[]>;

  /** Resolves when the transport answers (used by /readyz). */
  ping(): Promise<number>;

  /** Stop serving, let in-flight handlers finish, flush, disconnect. */
  close(): Promise<void>;
}
