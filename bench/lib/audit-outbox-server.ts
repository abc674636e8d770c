/**
 * The server of bench/audit-outbox.bench.ts, in its own process: three POST routes doing the same
 * write (one row in a transaction) on the real Postgres, (a) alone, (b) with the event staged in the
 * same transaction through the kit's outbox (published after the commit, relay running), (c) followed by an awaited `bus.emit`.
 * A JetStream consumer in this process times each recorded commit until its event is delivered.
 */

import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ChatEvents } from '@parley/contracts';
import { createBus, createDatabase, createLogger, createOutbox, type EmitOptions, fastifyOptions, type Tx } from '@parley/kit';
import Fastify, { type FastifyRequest } from 'fastify';
// The kit's own outbox test schema: a scratch `items` table beside `outbox`, both from its migrations.
import { items } from '../../packages/kit/test/fixtures/schema.ts';
import { type WriteBody as Body, type DelayedRoute, type DelayReport, OutboxRoutes } from './audit-outbox-api.ts';
import { serveChild } from './serve-child.ts';

const SCHEMA = 'kit_test';
const migrations = fileURLToPath(new URL('../../packages/kit/test/fixtures/migrations', import.meta.url));
const Event = ChatEvents.messagePosted;

const BodySchema = {
  type: 'object',
  required: ['roomId', 'senderId', 'length'],
  properties: { roomId: { type: 'string' }, senderId: { type: 'string' }, length: { type: 'integer', minimum: 0 } },
} as const;

await serveChild('audit-outbox', async () => {
  const logger = createLogger({ service: 'bench-outbox', level: process.env.LOG_LEVEL ?? 'silent' });
  const url = process.env.DATABASE_URL;
  const natsUrl = process.env.NATS_URL;
  const namespace = process.env.BUS_NAMESPACE;
  if (!url || !natsUrl || !namespace) throw new Error('DATABASE_URL, NATS_URL and BUS_NAMESPACE are required');

  // Pool size and relay options are the kit's defaults, as a service with `outbox: true` gets them.
  const database = await createDatabase({ url, schema: SCHEMA, logger });
  await database.migrate(migrations);
  const db = database.db;
  const bus = await createBus({ natsUrl, namespace, name: 'bench-outbox', logger });
  const outbox = createOutbox({ db, schema: SCHEMA, bus, source: 'bench-outbox', logger });

  // When each recorded request's transaction sent its COMMIT (performance.now), by event id. Taken at the end
  // of the transaction's callback: once the commit is acknowledged, the relay may deliver before the handler
  // resumes, so a later mark could come after the event it times.
  const commits = new Map<string, { route: DelayedRoute; at: number }>();
  const delays: Record<DelayedRoute, number[]> = { outbox: [], emit: [] };
  let recording = false;
  const committing = (id: string, route: DelayedRoute): void => {
    if (recording) commits.set(id, { route, at: performance.now() });
  };
  const consumer = await bus.consume({ durable: 'bench-delay', subject: Event.subject, concurrency: 64 }, (event) => {
    const commit = commits.get(event.envelope.id);
    if (commit) {
      delays[commit.route].push(performance.now() - commit.at);
      commits.delete(event.envelope.id);
    }
    return 'ack';
  });
  let consuming = true;

  const write = (tx: Tx, body: Body) =>
    tx.insert(items).values({ displayName: `message in ${body.roomId}`, quantity: body.length });
  const event = (req: FastifyRequest<{ Body: Body }>) => {
    const data = {
      messageId: randomUUID(),
      roomId: req.body.roomId,
      senderId: req.body.senderId,
      mediaId: null,
      length: req.body.length,
    };
    const options: EmitOptions = {
      actor: req.body.senderId,
      subject: req.body.roomId,
      ip: req.ip,
      userAgent: req.headers['user-agent'] ?? null,
      requestId: req.id,
    };
    return { data, options };
  };

  const app = Fastify(fastifyOptions(logger));
  const post = { schema: { body: BodySchema } };
  app.post<{ Body: Body }>(OutboxRoutes.direct, post, async (req, reply) => {
    await db.transaction(async (tx) => {
      await write(tx, req.body);
    });
    return reply.code(201).send({ ok: true });
  });
  app.post<{ Body: Body }>(OutboxRoutes.outbox, post, async (req, reply) => {
    const { data, options } = event(req);
    await outbox.transaction(async (tx, events) => {
      await write(tx, req.body);
      committing(await events.stage(Event, data, options), 'outbox');
    });
    return reply.code(201).send({ ok: true });
  });
  app.post<{ Body: Body }>(OutboxRoutes.emit, post, async (req, reply) => {
    const { data, options } = event(req);
    const id = randomUUID();
    await db.transaction(async (tx) => {
      await write(tx, req.body);
      committing(id, 'emit');
    });
    await bus.emit(Event, data, { ...options, id });
    return reply.code(201).send({ ok: true });
  });

  app.post('/delay/record', async () => {
    commits.clear();
    delays.outbox = [];
    delays.emit = [];
    recording = true;
    return { recording };
  });
  // Stops recording, waits for the recorded events, detaches the consumer (the later runs go without it).
  app.post('/delay/report', async (): Promise<DelayReport> => {
    recording = false;
    const deadline = Date.now() + 15_000;
    while (commits.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (consuming) {
      consuming = false;
      await consumer.stop();
    }
    return { delays, missing: commits.size };
  });
  app.get('/outbox/drained', async () => {
    await outbox.drained(15_000);
    return { pending: await outbox.pending() };
  });

  const close = async (): Promise<void> => {
    await app.close();
    if (consuming) await consumer.stop();
    await outbox.stop();
    await bus.close();
    await database.close();
  };
  try {
    const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
    outbox.start();
    return { url: address, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
});
