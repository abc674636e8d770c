import { ParleyError } from '@parley/contracts';
import type { Logger } from '../logger.ts';
import { errorFromReply, fromJson, serviceUnavailable, toJson, upstreamTimeout } from './codec.ts';
import { type Ack, type CoreSubscription, type MemoryHub, type StoredEvent, sharedMemoryHub } from './memory-hub.ts';
import {
  answer,
  assertEventSubject,
  buildEnvelope,
  consumerPolicy,
  DEFAULT_TIMEOUT_MS,
  deadLetter,
  envelopeSubject,
  InFlight,
  judge,
  messageContext,
  outgoingHeaders,
  serverMaxDeliver,
  withRetries,
} from './shared.ts';
import {
  assertDurable,
  assertNamespace,
  assertSubject,
  deadLetterStreamName,
  deadLetterSubject,
  eventStreamName,
  qualify,
  unqualify,
} from './subject.ts';
import {
  type Bus,
  type DeadLetter,
  type DeliveredEvent,
  type EventHandler,
  HEADER_REQUEST_ID,
  type Headers,
  type MessageContext,
  type Subscription,
} from './types.ts';

export interface MemoryBusOptions {
  namespace: string;
  /** This copy's name (an instance id or the service name). */
  name: string;
  /** The service: `source` of emitted events. Default: `name`. */
  source?: string;
  logger: Logger;
  /** Default queue group for `serve`. Default: `source`, else `name`. */
  queue?: string;
  /** The in-process server to join. Default: the process-wide hub. */
  hub?: MemoryHub;
}

export const createMemoryBus = (options: MemoryBusOptions): Bus => {
  const namespace = assertNamespace(options.namespace);
  const { logger, name } = options;
  const hub = options.hub ?? sharedMemoryHub();
  const source = options.source ?? name;
  const defaultQueue = options.queue ?? source;
  const events = hub.stream(eventStreamName(namespace));
  const deadLetters = hub.stream(deadLetterStreamName(namespace));
  const subscriptions = new Set<Subscription>();
  let closed = false;
  let closing: Promise<void> | undefined;

  const ensureOpen = (): void => {
    if (closed) throw new Error('bus is closed');
  };

  /** Joins the hub; handlers run on a later tick and `stop` waits for those already running. */
  const listen = (
    pattern: string,
    queue: string | undefined,
    handle: (message: Parameters<CoreSubscription['deliver']>[0]) => Promise<void>,
  ) => {
    ensureOpen();
    const inFlight = new InFlight((err) => logger.error({ err }, 'bus: handler crashed'));
    const sub: CoreSubscription = {
      pattern,
      queue,
      deliver: (message) =>
        inFlight.run(() =>
          new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
            handle({ ...message, headers: { ...message.headers } }),
          ),
        ),
    };
    hub.add(sub);
    const subscription: Subscription = {
      stop: async () => {
        hub.remove(sub);
        subscriptions.delete(subscription);
        await inFlight.idle();
      },
    };
    subscriptions.add(subscription);
    return subscription;
  };

  const contextOf = (subject: string, headers: Headers): MessageContext => messageContext(unqualify(namespace, subject), headers);

  const bus: Bus = {
    transport: 'memory',
    namespace,

    async request(endpoint, payload, requestOptions = {}) {
      const subject = qualify(namespace, endpoint.subject);
      const timeoutMs = requestOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const body = toJson(payload);
      const headers = outgoingHeaders(requestOptions.headers);
      const attempt = () =>
        new Promise<unknown>((resolve, reject) => {
          if (closed) return reject(serviceUnavailable(subject, 'bus closed'));
          let done = false;
          const timer = setTimeout(() => {
            done = true;
            reject(upstreamTimeout(subject, timeoutMs));
          }, timeoutMs);
          const receivers = hub.route({
            subject,
            body,
            headers,
            reply: (reply) => {
              if (done) return;
              done = true;
              clearTimeout(timer);
              try {
                if (reply.error) reject(errorFromReply(reply.body, reply.error));
                else resolve(fromJson(reply.body));
              } catch (err) {
                reject(err);
              }
            },
          });
          if (receivers === 0) {
            done = true;
            clearTimeout(timer);
            reject(serviceUnavailable(subject));
          }
        });
      // biome-ignore lint/suspicious/noExplicitAny: the endpoint's response type is erased on the wire
      return withRetries(endpoint, requestOptions, attempt) as Promise<any>;
    },

    serve(endpoint, handler, serveOptions = {}) {
      const subject = qualify(namespace, assertSubject(endpoint.subject));
      return listen(subject, serveOptions.queue ?? defaultQueue, async (message) => {
        const ctx = contextOf(message.subject, message.headers);
        const reply = await answer(
          endpoint,
          handler as (r: unknown, c: MessageContext) => unknown,
          () => fromJson(message.body),
          ctx,
          logger,
        );
        message.reply?.(reply);
      });
    },

    publish(subject, data, headers) {
      ensureOpen();
      hub.route({
        subject: qualify(namespace, assertSubject(subject, { wildcards: false })),
        body: toJson(data),
        headers: outgoingHeaders(headers),
      });
    },

    subscribe(subject, handler, subscribeOptions = {}) {
      return listen(qualify(namespace, assertSubject(subject)), subscribeOptions.queue, async (message) => {
        const ctx = contextOf(message.subject, message.headers);
        try {
          await handler(fromJson(message.body), ctx);
        } catch (err) {
          logger.error({ err, subject: ctx.subject }, 'bus: subscriber failed');
        }
      });
    },

    async emit(event, data, emitOptions = {}) {
      ensureOpen();
      const envelope = buildEnvelope(event, data, emitOptions, source);
      const headers = outgoingHeaders({
        ...emitOptions.headers,
        ...(envelope.requestId ? { [HEADER_REQUEST_ID]: envelope.requestId } : {}),
      });
      events.append(qualify(namespace, event.subject), toJson(envelope), headers, envelope.id);
      return envelope.id;
    },

    async publishEnvelope(envelope, publishOptions = {}) {
      ensureOpen();
      const headers = outgoingHeaders(envelope.requestId ? { [HEADER_REQUEST_ID]: envelope.requestId } : {});
      const msgId = publishOptions.msgId ?? envelope.id;
      events.append(qualify(namespace, envelopeSubject(envelope)), toJson(envelope), headers, msgId);
    },

    async consume(consumeOptions, handler) {
      ensureOpen();
      const durable = assertDurable(consumeOptions.durable);
      assertEventSubject(assertSubject(consumeOptions.subject));
      const policy = consumerPolicy(consumeOptions);
      const consumer = events.consumer(durable, {
        filter: qualify(namespace, consumeOptions.subject),
        ackWaitMs: policy.ackWaitMs,
        maxDeliver: serverMaxDeliver(policy),
      });
      const inFlight = new InFlight((err) => logger.error({ err }, 'bus: handler crashed'));
      const member = {
        capacity: policy.concurrency,
        deliver: (stored: StoredEvent, deliveryCount: number) =>
          new Promise<Ack>((resolve) => {
            inFlight.run(async () => {
              const event: DeliveredEvent = {
                envelope: fromJson(stored.body) as DeliveredEvent['envelope'],
                subject: unqualify(namespace, stored.subject),
                deliveryCount,
                headers: { ...stored.headers },
              };
              const verdict = await judge(handler as EventHandler, event, policy, logger);
              if (verdict.kind === 'ack') return resolve({ kind: 'ack' });
              if (verdict.kind === 'retry') return resolve({ kind: 'nak', delayMs: verdict.delayMs });
              const letter = deadLetter(durable, event, verdict.reason);
              logger.error({ durable, eventId: event.envelope.id, reason: verdict.reason }, 'bus: event dead-lettered');
              deadLetters.append(deadLetterSubject(namespace, durable), toJson(letter), {}, `${durable}:${event.envelope.id}`);
              resolve({ kind: 'term' });
            });
          }),
      };
      consumer.attach(member);
      const subscription: Subscription = {
        stop: async () => {
          consumer.detach(member);
          subscriptions.delete(subscription);
          await inFlight.idle();
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async deadLetters(durable) {
      const subject = deadLetterSubject(namespace, assertDurable(durable));
      return deadLetters.events.filter((e) => e.subject === subject).map((e) => fromJson(e.body) as DeadLetter);
    },

    async ping() {
      if (closed) throw new ParleyError('SERVICE_UNAVAILABLE', 'bus is closed');
      return 0;
    },

    close() {
      closing ??= (async () => {
        closed = true;
        await Promise.all([...subscriptions].map((s) => s.stop()));
      })();
      return closing;
    },
  };
  return bus;
};
