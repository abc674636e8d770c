import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type Caller,
  ChatEndpoints,
  type EndpointDef,
  type EndpointRequest,
  type EndpointResponse,
  type EventEnvelope,
  MediaEndpoints,
  type MediaKind,
  type MediaObject,
  ParleyError,
} from '@parley/contracts';
import {
  type BlobStore,
  type Bus,
  createBlobStore,
  createBus,
  createLogger,
  createMemoryHub,
  fastifyOptions,
  MEMORY_DATA_DIR,
  openSharedPglite,
  type SharedInfra,
  type Subscription,
} from '@parley/kit';
import { createTestClock, createTestDatabaseUrl, dropBlobBucket, dropBusNamespace, type TestClock } from '@parley/kit/testing';

export { createTestClock, type TestClock };

import Fastify, { type FastifyInstance } from 'fastify';
import { loadMediaConfig, type MediaConfig, mediaApp } from '../../src/index.ts';

const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';

/**
 * A stand-in for chat-notify's `chat.rooms.membership` (the real one comes with the chat issue):
 * the test says who is in which room.
 */
export interface ChatStandIn {
  rooms: Map<string, Set<string>>;
  join(roomId: string, userId: string): void;
  leave(roomId: string, userId: string): void;
  stop(): Promise<void>;
}

export interface MediaWorld {
  /** The bus as the gateway sees it: requests go to the media service under test. */
  bus: Bus;
  app: FastifyInstance;
  /** The same blob store the service uses, opened by the test as the gateway opens it. */
  store: BlobStore;
  clock: TestClock;
  config: MediaConfig;
  /** Every media event on the durable stream, in order (a consumer of the test's own). */
  events: EventEnvelope[];
  startCopy(): Promise<FastifyInstance>;
  call<E extends EndpointDef>(endpoint: E, payload: EndpointRequest<E>): Promise<EndpointResponse<E>>;
  /** The coded error a call fails with (and a test failure if it succeeds). */
  fail<E extends EndpointDef>(endpoint: E, payload: EndpointRequest<E>): Promise<ParleyError>;
  /** Puts bytes into the blob store, as the gateway does before registering. */
  put(bytes: Buffer): Promise<{ sha256: string; size: number }>;
  /** put + media.register. */
  upload(caller: Caller, kind: MediaKind, file: TestFile, extra?: { roomId?: string; filename?: string }): Promise<MediaObject>;
  /** The bytes stored under a sha256, or null when there are none. */
  read(sha256: string): Promise<Buffer | null>;
  serveChat(): ChatStandIn;
  close(): Promise<void>;
}

export interface TestFile {
  bytes: Buffer;
  contentType: string;
  filename: string;
}

export const readStream = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * The real media service as the stack runs it: its own bus namespace (in-process, or NATS when
 * NATS_URL is set), its own database (a fresh Postgres database with DATABASE_URL, else PGlite), its
 * own blob store (BLOB_STORE from the environment, default fs in a temp folder), a clock the test controls.
 */
export const startMedia = async (env: Record<string, string> = {}): Promise<MediaWorld> => {
  const database = await createTestDatabaseUrl();
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-media-svc-test-'));
  const clock = createTestClock();
  // Shared like embedded mode shares them, so further copies see the same bus and database.
  const pg = database.url ? undefined : await openSharedPglite(MEMORY_DATA_DIR);
  const shared: SharedInfra = { hub: createMemoryHub(), ...(pg ? { pglite: pg.pglite } : {}) };
  const config = loadMediaConfig({
    NATS_URL: process.env.NATS_URL,
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    BLOB_STORE: process.env.BLOB_STORE ?? 'fs',
    BUS_NAMESPACE: `t${randomUUID().slice(0, 8)}`,
    LOG_LEVEL,
    PUBLIC_URL: 'https://parley.example.test',
    ...env,
  });
  const newApp = () => {
    const app = Fastify(fastifyOptions(createLogger({ service: 'media', level: LOG_LEVEL })));
    // Not the result of register(): that is a thenable, which an async function would unwrap.
    void app.register(mediaApp, { config, shared, clock });
    return app;
  };
  const app = newApp();
  const copies: FastifyInstance[] = [];
  const stoppers: Subscription[] = [];
  let bus: Bus | undefined;
  let store: BlobStore | undefined;
  const close = async () => {
    await Promise.allSettled(stoppers.map((s) => s.stop()));
    await bus?.close();
    await Promise.all(copies.map((c) => c.close()));
    await app.close();
    await store?.close();
    await pg?.release();
    await database.drop();
    await dropBusNamespace(config.NATS_URL, config.BUS_NAMESPACE);
    if (config.BLOB_STORE === 'nats') await dropBlobBucket(config.NATS_URL, config.BUS_NAMESPACE);
    await rm(dataDir, { recursive: true, force: true });
  };
  const events: EventEnvelope[] = [];
  try {
    await app.ready();
    bus = await createBus({
      natsUrl: config.NATS_URL,
      namespace: config.BUS_NAMESPACE,
      name: `gateway-${randomUUID().slice(0, 4)}`,
      source: 'gateway',
      logger: createLogger({ service: 'gateway', level: LOG_LEVEL }),
      hub: shared.hub,
    });
    store = await createBlobStore({
      driver: config.BLOB_STORE,
      dataDir: config.DATA_DIR,
      natsUrl: config.NATS_URL,
      namespace: config.BUS_NAMESPACE,
      replicas: config.NATS_STREAM_REPLICAS,
    });
    await bus.consume({ durable: 'media-events-test', subject: 'evt.media.>' }, (event) => {
      events.push(event.envelope);
      return 'ack';
    });
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  const client = bus;
  const blobs = store;
  const call: MediaWorld['call'] = (endpoint, payload) => client.request(endpoint, payload);
  const put: MediaWorld['put'] = async (bytes) => blobs.put(Readable.from([bytes]));
  return {
    bus: client,
    app,
    store: blobs,
    clock,
    config,
    events,
    async startCopy() {
      const copy = newApp();
      copies.push(copy);
      await copy.ready();
      return copy;
    },
    call,
    async fail(endpoint, payload) {
      try {
        await call(endpoint, payload);
      } catch (err) {
        if (err instanceof ParleyError) return err;
        throw err;
      }
      throw new Error(`expected ${endpoint.subject} to fail`);
    },
    put,
    async upload(caller, kind, file, extra = {}) {
      const { sha256, size } = await put(file.bytes);
      return call(MediaEndpoints.register, {
        caller,
        kind,
        sha256,
        size,
        contentType: file.contentType,
        filename: extra.filename ?? file.filename,
        ...(extra.roomId ? { roomId: extra.roomId } : {}),
      });
    },
    async read(sha256) {
      const stream = await blobs.get(sha256);
      return stream ? readStream(stream) : null;
    },
    serveChat() {
      const rooms = new Map<string, Set<string>>();
      const sub = client.serve(
        ChatEndpoints.membership,
        ({ roomId, userId }) => ({ member: rooms.get(roomId)?.has(userId) ?? false }),
        { queue: 'chat-notify' },
      );
      stoppers.push(sub);
      return {
        rooms,
        join: (roomId, userId) => rooms.set(roomId, (rooms.get(roomId) ?? new Set()).add(userId)),
        leave: (roomId, userId) => void rooms.get(roomId)?.delete(userId),
        stop: () => sub.stop(),
      };
    },
    close,
  };
};

/** A signed-in user as the gateway passes them on the bus. */
export const newCaller = (): Caller => ({
  userId: `u_${randomUUID()}`,
  sessionId: randomUUID(),
  ip: '198.51.100.7',
  userAgent: 'vitest',
});

/** `?exp=&sig=` of a signed URL, as the gateway hands them to media.grant. */
export const signatureOf = (signedUrl: string): { exp: number; sig: string } => {
  const url = new URL(signedUrl);
  return { exp: Number(url.searchParams.get('exp')), sig: url.searchParams.get('sig')! };
};
