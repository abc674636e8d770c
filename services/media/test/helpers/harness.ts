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
  type ParleyError,
} from '@parley/contracts';
import { type BlobStore, type Bus, openBlobStore } from '@parley/kit';
import { createTestClock, dropBlobBucket, startServiceHarness, type TestClock } from '@parley/kit/testing';

export { createTestClock, type TestClock };

import type { FastifyInstance } from 'fastify';
import { loadMediaConfig, type MediaConfig, mediaApp } from '../../src/index.ts';

/**
 * A stand-in for chat-notify's `chat.rooms.membership`, so these service tests say who is in which
 * room directly; the two real services together are tested through the gateway
 * (packages/stack/test/chat-attachments.test.ts).
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
  upload(caller: Caller, kind: MediaKind, file: TestFile, extra?: UploadExtra): Promise<MediaObject>;
  /** put + media.register that must fail: the coded error, and the sha256 the bytes were put under. */
  failUpload(
    caller: Caller,
    kind: MediaKind,
    file: TestFile,
    extra?: UploadExtra,
  ): Promise<{ error: ParleyError; sha256: string }>;
  /** The bytes stored under a sha256, or null when there are none. */
  read(sha256: string): Promise<Buffer | null>;
  serveChat(): ChatStandIn;
  close(): Promise<void>;
}

export interface UploadExtra {
  roomId?: string;
  filename?: string;
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
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-media-svc-test-'));
  const clock = createTestClock();
  const harness = await startServiceHarness({
    service: 'media',
    loadConfig: loadMediaConfig,
    env: { DATA_DIR: dataDir, BLOB_STORE: process.env.BLOB_STORE ?? 'fs', ...env },
    // Not the result of register(): that is a thenable, which an async function would unwrap.
    register: (app, { config, shared }) => void app.register(mediaApp, { config, shared, clock }),
  });
  const { config, bus, call } = harness;
  harness.onClose(async () => {
    if (config.BLOB_STORE === 'nats') await dropBlobBucket(config.NATS_URL, config.BUS_NAMESPACE);
    await rm(dataDir, { recursive: true, force: true });
  });
  const events: EventEnvelope[] = [];
  let blobs: BlobStore;
  try {
    blobs = await openBlobStore(config);
    const store = blobs;
    harness.onClose(() => store.close());
    await bus.consume({ durable: 'media-events-test', subject: 'evt.media.>' }, (event) => {
      events.push(event.envelope);
      return 'ack';
    });
  } catch (err) {
    await harness.close().catch(() => {});
    throw err;
  }
  const put: MediaWorld['put'] = async (bytes) => blobs.put(Readable.from([bytes]));
  const registration = async (caller: Caller, kind: MediaKind, file: TestFile, extra: UploadExtra) => {
    const { sha256, size } = await put(file.bytes);
    return {
      caller,
      kind,
      sha256,
      size,
      contentType: file.contentType,
      filename: extra.filename ?? file.filename,
      ...(extra.roomId ? { roomId: extra.roomId } : {}),
    };
  };
  return {
    ...harness,
    store: blobs,
    clock,
    events,
    put,
    upload: async (caller, kind, file, extra = {}) =>
      call(MediaEndpoints.register, await registration(caller, kind, file, extra)),
    async failUpload(caller, kind, file, extra = {}) {
      const request = await registration(caller, kind, file, extra);
      return { error: await harness.fail(MediaEndpoints.register, request), sha256: request.sha256 };
    },
    async read(sha256) {
      const stream = await blobs.get(sha256);
      return stream ? readStream(stream) : null;
    },
    serveChat() {
      const rooms = new Map<string, Set<string>>();
      // Stopped with the harness's bus when the test closes it.
      const sub = bus.serve(
        ChatEndpoints.membership,
        ({ roomId, userId }) => ({ member: rooms.get(roomId)?.has(userId) ?? false }),
        {
          queue: 'chat-notify',
        },
      );
      return {
        rooms,
        join: (roomId, userId) => rooms.set(roomId, (rooms.get(roomId) ?? new Set()).add(userId)),
        leave: (roomId, userId) => void rooms.get(roomId)?.delete(userId),
        stop: () => sub.stop(),
      };
    },
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
