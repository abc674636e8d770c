/** Durable events for the NATS bus: JetStream streams, durable pull consumers and the dead-letter stream. */
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
  jetstream,
  jetstreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type MsgHdrs, type NatsConnection, nanos, headers as natsHeaders } from '@nats-io/transport-node';
import type { Logger } from '../logger.ts';
import { toJson } from './codec.ts';
import {
  assertEventSubject,
  buildEnvelope,
  consumerPolicy,
  deadLetter,
  envelopeSubject,
  InFlight,
  judge,
  outgoingHeaders,
  serverMaxDeliver,
} from './shared.ts';
import * as subjects from './subject.ts';
import { type Bus, type DeadLetter, type DeliveredEvent, type EventHandler, HEADER_REQUEST_ID, type Headers } from './types.ts';

export const toNatsHeaders = (headers: Headers): MsgHdrs => {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(headers)) h.set(k, v);
  return h;
};

export const fromNatsHeaders = (h: MsgHdrs | undefined): Headers => {
  const out: Headers = {};
  if (h) for (const [k, values] of h) if (values[0] !== undefined) out[k] = values[0];
  return out;
};

const isApiError = (err: unknown, code: number): boolean => err instanceof JetStreamApiError && err.code === code;

/** How long setup (streams, consumers) keeps trying while JetStream is not answering yet. */
export const SETUP_PATIENCE_MS = 30_000;

/**
 * A JetStream API call that timed out or found nobody to answer: on a cluster that has just formed (or
 * lost a node) the meta leader may still be elected, and the same call succeeds a moment later.
 */
const isTransient = (err: unknown): boolean => {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'TimeoutError' || e.name === 'NoRespondersError') return true;
  if (err instanceof JetStreamApiError) return err.status === 503 || err.status === 408;
  return typeof e.message === 'string' && /timeout|no responders|not ready|temporarily unavailable/i.test(e.message);
};

/** Runs a setup step again while JetStream's answer is transient, for up to SETUP_PATIENCE_MS. */
export const patiently = async <T>(what: string, logger: Logger | undefined, fn: () => Promise<T>): Promise<T> => {
  const deadline = Date.now() + SETUP_PATIENCE_MS;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || Date.now() + delay > deadline) throw err;
      logger?.warn({ err: (err as Error).message, what }, 'bus: JetStream not answering yet; trying again');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
};

/**
 * How long one pull request of a consumer waits on the server; the server's heartbeats come at half
 * of it. It also paces the client's recovery: it re-pulls after two missed heartbeats (the consumer's
 * leader died with its NATS node), and after a reconnect it checks the consumer, trying again this
 * long later when that check fails — as it does when the whole NATS cluster restarts and JetStream
 * is still electing its leaders. The library's default (30 s) left consumers idle for 30–60 s after
 * NATS came back (test/cluster/nats-outage.test.ts); an idle consumer now sends one small pull per 5 s.
 */
const PULL_EXPIRES_MS = 5_000;

export interface JetStreamEvents extends Pick<Bus, 'emit' | 'publishEnvelope' | 'deadLetters'> {
  /** Attaches a durable consumer; resolves to its stop function. */
  consume(...args: Parameters<Bus['consume']>): Promise<() => Promise<void>>;
}

export const jetStreamEvents = async (
  nc: NatsConnection,
  options: { namespace: string; source: string; logger: Logger; streamReplicas?: number | undefined },
): Promise<JetStreamEvents> => {
  const { namespace, source, logger } = options;
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const eventStream = subjects.eventStreamName(namespace);
  const dlqStream = subjects.deadLetterStreamName(namespace);

  const ensureStream = async (config: Partial<StreamConfig> & { name: string }): Promise<void> => {
    try {
      await jsm.streams.info(config.name);
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
      await jsm.streams.add(config).catch(async (addErr) => {
        // Another copy may have created it meanwhile.
        await jsm.streams.info(config.name).catch(() => Promise.reject(addErr));
      });
    }
  };
  let streamsReady: Promise<void> | undefined;
  const ensureStreams = (): Promise<void> => {
    streamsReady ??= (async () => {
      const num_replicas = options.streamReplicas ?? 1;
      await patiently(eventStream, logger, () =>
        ensureStream({ name: eventStream, subjects: [subjects.eventStreamSubject(namespace)], num_replicas }),
      );
      await patiently(dlqStream, logger, () =>
        ensureStream({ name: dlqStream, subjects: [subjects.deadLetterStreamSubject(namespace)], num_replicas }),
      );
    })().catch((err) => {
      streamsReady = undefined;
      throw err;
    });
    return streamsReady;
  };

  /** Creates the durable consumer, or brings an existing one in line with the options. */
  const ensureConsumer = async (config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> => {
    try {
      const { config: current } = await jsm.consumers.info(eventStream, config.durable_name);
      const { filter_subject, ack_wait, max_deliver } = config;
      if (current.filter_subject !== filter_subject || current.ack_wait !== ack_wait || current.max_deliver !== max_deliver) {
        await jsm.consumers.update(eventStream, config.durable_name, { filter_subject, ack_wait, max_deliver });
      }
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
      await jsm.consumers.add(eventStream, config);
    }
  };

  return {
    async emit(event, data, emitOptions = {}) {
      const envelope = buildEnvelope(event, data, emitOptions, source);
      await ensureStreams();
      const headers = outgoingHeaders({
        ...emitOptions.headers,
        ...(envelope.requestId ? { [HEADER_REQUEST_ID]: envelope.requestId } : {}),
      });
      await js.publish(subjects.qualify(namespace, event.subject), toJson(envelope), {
        msgID: envelope.id,
        headers: toNatsHeaders(headers),
      });
      return envelope.id;
    },

    async publishEnvelope(envelope, publishOptions = {}) {
      await ensureStreams();
      const headers = outgoingHeaders(envelope.requestId ? { [HEADER_REQUEST_ID]: envelope.requestId } : {});
      await js.publish(subjects.qualify(namespace, envelopeSubject(envelope)), toJson(envelope), {
        msgID: publishOptions.msgId ?? envelope.id,
        headers: toNatsHeaders(headers),
        ...(publishOptions.timeoutMs ? { timeout: publishOptions.timeoutMs } : {}),
      });
    },

    async consume(consumeOptions, handler) {
      const durable = subjects.assertDurable(consumeOptions.durable);
      assertEventSubject(subjects.assertSubject(consumeOptions.subject));
      const policy = consumerPolicy(consumeOptions);
      await ensureStreams();
      await patiently(durable, logger, () =>
        ensureConsumer({
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          filter_subject: subjects.qualify(namespace, consumeOptions.subject),
          ack_wait: nanos(policy.ackWaitMs),
          max_deliver: serverMaxDeliver(policy),
        }),
      );
      const consumer = await patiently(durable, logger, () => js.consumers.get(eventStream, durable));
      // Buffered messages wait on their ack timer too, so pull no more than are handled at once.
      const messages = await consumer.consume({ max_messages: policy.concurrency, expires: PULL_EXPIRES_MS });
      const inFlight = new InFlight((err) => logger.error({ err, durable }, 'bus: event handling crashed'));
      let running = 0;
      let slotFreed: () => void = () => undefined;
      let stopping = false;

      const handle = async (m: JsMsg): Promise<void> => {
        let event: DeliveredEvent;
        try {
          event = {
            envelope: m.json(),
            subject: subjects.unqualify(namespace, m.subject),
            deliveryCount: m.info.deliveryCount,
            headers: fromNatsHeaders(m.headers),
          };
        } catch (err) {
          logger.error({ err, durable, seq: m.seq }, 'bus: undecodable event dropped');
          return m.term('undecodable');
        }
        const verdict = await judge(handler as EventHandler, event, policy, logger);
        if (verdict.kind === 'ack') return m.ack();
        if (verdict.kind === 'retry') return m.nak(verdict.delayMs);
        try {
          const letter = deadLetter(durable, event, verdict.reason);
          // The msgID keeps a dead letter single if the term below gets lost and it is dead-lettered again.
          await js.publish(subjects.deadLetterSubject(namespace, durable), toJson(letter), {
            msgID: `${durable}:${event.envelope.id}`,
          });
          logger.error({ durable, eventId: event.envelope.id, reason: verdict.reason }, 'bus: event dead-lettered');
          m.term(verdict.reason.slice(0, 200));
        } catch (err) {
          logger.error({ err, durable, eventId: event.envelope.id }, 'bus: could not dead-letter, will retry');
          m.nak(policy.backoffMs(event.deliveryCount));
        }
      };

      const loop = (async () => {
        for await (const m of messages) {
          while (running >= policy.concurrency && !stopping) await new Promise<void>((r) => (slotFreed = r));
          // Hand back what was buffered but not started, so another copy gets it now rather than after the ack wait.
          if (stopping) {
            m.nak();
            continue;
          }
          running++;
          inFlight.run(() =>
            handle(m).finally(() => {
              running--;
              slotFreed();
            }),
          );
        }
      })().catch((err) => logger.error({ err, durable }, 'bus: consumer stopped'));

      return async () => {
        stopping = true;
        slotFreed();
        await messages.close();
        await loop;
        await inFlight.idle();
      };
    },

    async deadLetters(durable) {
      await ensureStreams();
      const subject = subjects.deadLetterSubject(namespace, subjects.assertDurable(durable));
      const info = await jsm.streams.info(dlqStream, { subjects_filter: subject });
      const count = info.state.subjects?.[subject] ?? 0;
      if (count === 0) return [];
      const reader = await js.consumers.get(dlqStream, { filter_subjects: subject });
      const letters: DeadLetter[] = [];
      try {
        while (letters.length < count) {
          const m = await reader.next({ expires: 2000 });
          if (!m) break;
          letters.push(m.json<DeadLetter>());
          if (m.info.pending === 0) break;
        }
      } finally {
        await reader.delete().catch(() => undefined);
      }
      return letters;
    },
  };
};
