import { connect, errors, type Msg, headers as natsHeaders } from '@nats-io/transport-node';
import { ParleyError } from '@parley/contracts';
import type { Logger } from '../logger.ts';
import { decode, decodeText, errorFromReply, serviceUnavailable, toJson, upstreamTimeout } from './codec.ts';
import { fromNatsHeaders, jetStreamEvents, toNatsHeaders } from './nats-jetstream.ts';
import { answer, DEFAULT_TIMEOUT_MS, InFlight, messageContext, outgoingHeaders, withRetries } from './shared.ts';
import * as subjects from './subject.ts';
import { type Bus, type EventHandler, HEADER_ERROR, HEADER_ERROR_CODE, type MessageContext, type Subscription } from './types.ts';

export interface NatsBusOptions {
  /** e.g. `nats://127.0.0.1:4222`; several may be comma-separated. */
  url: string;
  namespace: string;
  /** This copy's name (an instance id or the service name): the NATS connection name. */
  name: string;
  /** The service: `source` of emitted events. Default: `name`. */
  source?: string;
  logger: Logger;
  /** Default queue group for `serve`. Default: `source`, else `name`. */
  queue?: string;
  /** Replicas of the event and dead-letter streams when this bus creates them. Default 1. */
  streamReplicas?: number;
}

/** Connects (waiting for the server if it is not up yet) and returns the bus. */
export const createNatsBus = async (options: NatsBusOptions): Promise<Bus> => {
  const namespace = subjects.assertNamespace(options.namespace);
  const { logger, name } = options;
  const source = options.source ?? name;
  const defaultQueue = options.queue ?? source;
  const nc = await connect({
    servers: options.url.split(','),
    name,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnect: true,
  });
  // While the connection is down the client would hold a request until its deadline (a 504 after
  // seconds): answer 503 at once instead, and let the caller (or the outbox relay) try again later.
  let connected = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') connected = false;
      else if (s.type === 'reconnect') connected = true;
      if (s.type === 'disconnect' || s.type === 'error') logger.warn({ status: s.type }, 'bus: NATS connection trouble');
      else if (s.type === 'reconnect') logger.info('bus: NATS reconnected');
    }
  })();
  const unreachable = (subject: string) => serviceUnavailable(subject, 'NATS is unreachable');
  const events = await jetStreamEvents(nc, { namespace, source, logger, streamReplicas: options.streamReplicas });
  const subscriptions = new Set<Subscription>();
  let closing: Promise<void> | undefined;

  const track = (stop: () => Promise<void>): Subscription => {
    const subscription: Subscription = {
      stop: async () => {
        subscriptions.delete(subscription);
        await stop();
      },
    };
    subscriptions.add(subscription);
    return subscription;
  };

  /** Core subscription whose handlers are awaited on stop, before the connection goes away. */
  const listen = (subject: string, queue: string | undefined, handle: (msg: Msg, ctx: MessageContext) => Promise<void>) => {
    const inFlight = new InFlight((err) => logger.error({ err }, 'bus: handler crashed'));
    const sub = nc.subscribe(subject, {
      ...(queue ? { queue } : {}),
      callback: (err, msg) => {
        if (err) return logger.error({ err, subject }, 'bus: subscription failed');
        inFlight.run(() => handle(msg, messageContext(subjects.unqualify(namespace, msg.subject), fromNatsHeaders(msg.headers))));
      },
    });
    return track(async () => {
      if (!sub.isClosed()) await sub.drain().catch(() => undefined);
      await inFlight.idle();
    });
  };

  const requestError = (err: unknown, subject: string, timeoutMs: number): unknown => {
    if (err instanceof errors.TimeoutError || (err instanceof Error && err.cause instanceof errors.TimeoutError)) {
      return upstreamTimeout(subject, timeoutMs);
    }
    if (err instanceof errors.NoRespondersError || (err instanceof errors.RequestError && err.isNoResponders())) {
      return serviceUnavailable(subject);
    }
    if (err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError) {
      return serviceUnavailable(subject, 'bus closed');
    }
    return err;
  };

  const bus: Bus = {
    transport: 'nats',
    namespace,

    async request(endpoint, payload, requestOptions = {}) {
      const subject = subjects.qualify(namespace, endpoint.subject);
      const timeoutMs = requestOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const body = toJson(payload);
      const headers = outgoingHeaders(requestOptions.headers);
      const attempt = async (): Promise<unknown> => {
        if (!connected) throw unreachable(subject);
        let reply: Msg;
        try {
          reply = await nc.request(subject, body, { timeout: timeoutMs, headers: toNatsHeaders(headers) });
        } catch (err) {
          throw requestError(err, subject, timeoutMs);
        }
        const code = reply.headers?.get(HEADER_ERROR_CODE);
        if (code) {
          throw errorFromReply(decodeText(reply.data), { status: Number(code), detail: reply.headers?.get(HEADER_ERROR) });
        }
        return decode(reply.data);
      };
      // biome-ignore lint/suspicious/noExplicitAny: the endpoint's response type is erased on the wire
      return withRetries(endpoint, requestOptions, attempt) as Promise<any>;
    },

    serve(endpoint, handler, serveOptions = {}) {
      const subject = subjects.qualify(namespace, subjects.assertSubject(endpoint.subject));
      return listen(subject, serveOptions.queue ?? defaultQueue, async (msg, ctx) => {
        const reply = await answer(
          endpoint,
          handler as (r: unknown, c: MessageContext) => unknown,
          () => decode(msg.data),
          ctx,
          logger,
        );
        const h = natsHeaders();
        if (reply.error) {
          // Header values cannot hold line breaks.
          h.set(HEADER_ERROR, reply.error.detail.replace(/[\r\n]+/g, ' '));
          h.set(HEADER_ERROR_CODE, String(reply.error.status));
        }
        if (msg.reply && !nc.isClosed()) msg.respond(reply.body, { headers: h });
      });
    },

    publish(subject, data, headers) {
      const full = subjects.qualify(namespace, subjects.assertSubject(subject, { wildcards: false }));
      nc.publish(full, toJson(data), { headers: toNatsHeaders(outgoingHeaders(headers)) });
    },

    subscribe(subject, handler, subscribeOptions = {}) {
      return listen(subjects.qualify(namespace, subjects.assertSubject(subject)), subscribeOptions.queue, async (msg, ctx) => {
        try {
          await handler(decode(msg.data), ctx);
        } catch (err) {
          logger.error({ err, subject: ctx.subject }, 'bus: subscriber failed');
        }
      });
    },

    emit: (event, data, emitOptions) => events.emit(event, data, emitOptions),
    async publishEnvelope(envelope, publishOptions) {
      if (!connected) throw unreachable(`evt.${envelope.type}`);
      return events.publishEnvelope(envelope, publishOptions);
    },

    async consume(consumeOptions, handler) {
      return track(await events.consume(consumeOptions, handler as EventHandler));
    },

    deadLetters: (durable) => events.deadLetters(durable),

    async ping() {
      if (nc.isClosed()) throw new ParleyError('SERVICE_UNAVAILABLE', 'bus is closed');
      return nc.rtt();
    },

    close() {
      closing ??= (async () => {
        await Promise.all([...subscriptions].map((s) => s.stop()));
        if (!nc.isClosed()) await nc.drain();
      })();
      return closing;
    },
  };
  return bus;
};
