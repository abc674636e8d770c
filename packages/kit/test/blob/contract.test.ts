import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ParleyError } from '@parley/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { blobRoot } from '../../src/blob/fs.ts';
import { type BlobStore, blobBucketName, createBlobStore } from '../../src/blob/index.ts';
import { dropBlobBucket } from '../../src/testing/nats.ts';

const NATS_URL = process.env.NATS_URL;
const drivers: ('fs' | 'nats')[] = ['fs', ...(NATS_URL ? (['nats'] as const) : [])];

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function* chunksOf(data: Buffer, size = 64 * 1024) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

const summary = (bytes: Uint8Array) => ({ length: bytes.length, sha256: sha(bytes) });

const read = async (stream: Readable | null): Promise<Buffer | null> => {
  if (!stream) return null;
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
};

const caught = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );

describe.each(drivers)('blob store contract (%s)', (driver) => {
  let nc: NatsConnection | undefined;
  let namespace: string;
  let dataDir: string;
  let store: BlobStore;

  beforeAll(async () => {
    if (driver === 'nats') nc = await connect({ servers: NATS_URL!.split(','), name: 'blob-test' });
  });
  afterAll(() => nc?.close());

  beforeEach(async () => {
    namespace = `t${randomUUID().slice(0, 8)}`;
    dataDir = await mkdtemp(join(tmpdir(), 'parley-blob-test-'));
    store = await createBlobStore({ driver, dataDir, natsUrl: NATS_URL, namespace });
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
    if (driver === 'nats') await dropBlobBucket(NATS_URL, namespace);
  });

  /** Everything stored, as `sha/<hash>`, `tmp/<name>` or `orphan-chunks/<nuid>` (bytes no name points at). */
  const inventory = async (): Promise<string[]> => {
    if (driver === 'fs') {
      const root = join(dataDir, 'blobs');
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
        .map((path) => path.replace(/^([0-9a-f]{2})\/([0-9a-f]{2})\/(\1\2[0-9a-f]{60})$/, 'sha/$3'))
        .sort();
    }
    const bucket = blobBucketName(namespace);
    const live = await (await new Objm(nc!).open(bucket)).list();
    const jsm = await jetstreamManager(nc!);
    const info = await jsm.streams.info(`OBJ_${bucket}`, { subjects_filter: `$O.${bucket}.C.>` });
    const nuids = Object.keys(info.state.subjects ?? {}).map((subject) => subject.split('.').at(-1)!);
    const orphans = nuids.filter((nuid) => !live.some((o) => o.nuid === nuid)).map((nuid) => `orphan-chunks/${nuid}`);
    return [...live.map((o) => o.name), ...orphans].sort();
  };

  it('stores bytes under their sha256 and streams them back', async () => {
    const data = randomBytes(300_000);
    await expect(store.put(chunksOf(data))).resolves.toEqual({ sha256: sha(data), size: data.length, created: true });
    expect((await read(await store.get(sha(data))))!.equals(data)).toBe(true);
    await expect(store.stat(sha(data))).resolves.toEqual({ size: data.length });

    const small = Buffer.from('hello, blob');
    await expect(store.put(Readable.from([small]))).resolves.toMatchObject({ sha256: sha(small), size: small.length });
    const empty = await store.put(chunksOf(Buffer.alloc(0)));
    expect(empty).toEqual({ sha256: sha(Buffer.alloc(0)), size: 0, created: true });
    expect((await read(await store.get(empty.sha256)))!.length).toBe(0);
    expect(await inventory()).toEqual([`sha/${sha(data)}`, `sha/${sha(small)}`, `sha/${empty.sha256}`].sort());
  });

  it('stores the same bytes once and says so the second time', async () => {
    const data = randomBytes(200_000);
    await expect(store.put(chunksOf(data))).resolves.toMatchObject({ created: true });
    await expect(store.put(chunksOf(data, 10_000))).resolves.toEqual({ sha256: sha(data), size: data.length, created: false });
    expect(await inventory()).toEqual([`sha/${sha(data)}`]);
  });

  it('serves inclusive byte ranges, clamping an end past the last byte', async () => {
    const data = randomBytes(300_000);
    const { sha256 } = await store.put(chunksOf(data));
    // Compared as length + digest: deep-equality of 200 KB buffers in vitest is needlessly slow.
    const range = async (start: number, end: number) => summary((await read(await store.get(sha256, { start, end })))!);
    const slice = (start: number, end?: number) => summary(data.subarray(start, end));
    expect(await range(0, 0)).toEqual(slice(0, 1));
    expect(await range(1000, 200_000)).toEqual(slice(1000, 200_001));
    expect(await range(131_071, 131_072)).toEqual(slice(131_071, 131_073));
    expect(await range(data.length - 1, data.length - 1)).toEqual(slice(data.length - 1));
    expect(await range(0, data.length - 1)).toEqual(slice(0));
    expect(await range(data.length - 10, data.length + 100)).toEqual(slice(data.length - 10));
    const err = await caught(store.get(sha256, { start: data.length, end: data.length + 5 }));
    expect(err).toMatchObject({ code: 'RANGE_NOT_SATISFIABLE', status: 416 });
  });

  it('refuses more than maxBytes mid-stream and leaves nothing behind', async () => {
    let pulled = 0;
    let closed = false;
    async function* endless() {
      try {
        for (;;) {
          pulled++;
          yield randomBytes(64 * 1024);
        }
      } finally {
        closed = true;
      }
    }
    const err = await caught(store.put(endless(), { maxBytes: 200_000 }));
    expect(err).toBeInstanceOf(ParleyError);
    expect(err).toMatchObject({ code: 'FILE_TOO_LARGE', status: 413, extra: { limit: 200_000 } });
    expect(pulled).toBe(4);
    await vi.waitFor(() => expect(closed).toBe(true));
    expect(await inventory()).toEqual([]);

    const exact = randomBytes(200_000);
    await expect(store.put(chunksOf(exact), { maxBytes: exact.length })).resolves.toMatchObject({ size: exact.length });
  });

  it('rejects a source that fails mid-way and makes nothing visible', async () => {
    const boom = new Error('connection reset by peer');
    async function* failing() {
      for (let i = 0; i < 3; i++) yield randomBytes(100_000);
      throw boom;
    }
    expect(await caught(store.put(failing()))).toBe(boom);
    expect(await inventory()).toEqual([]);
  });

  it('stops reading a stalled source when the signal aborts, leaving nothing behind', async () => {
    const controller = new AbortController();
    async function* stalls() {
      yield randomBytes(150_000);
      yield randomBytes(150_000);
      controller.abort(new Error('client went away'));
      await new Promise(() => {});
    }
    expect(await caught(store.put(stalls(), { signal: controller.signal }))).toMatchObject({ message: 'client went away' });
    expect(await inventory()).toEqual([]);
  });

  it('stats and deletes; deleting a missing blob is fine and the bytes can be stored again', async () => {
    const data = randomBytes(150_000);
    const { sha256 } = await store.put(chunksOf(data));
    await expect(store.stat(sha256)).resolves.toEqual({ size: data.length });
    await store.delete(sha256);
    await expect(store.stat(sha256)).resolves.toBeNull();
    await expect(store.get(sha256)).resolves.toBeNull();
    await expect(store.delete(sha256)).resolves.toBeUndefined();
    await expect(store.delete(sha(Buffer.from('never stored')))).resolves.toBeUndefined();
    expect(await inventory()).toEqual([]);

    await expect(store.put(chunksOf(data))).resolves.toMatchObject({ sha256, created: true });
    expect((await read(await store.get(sha256)))!.equals(data)).toBe(true);
  });

  it('refuses anything but 64 lowercase hex characters as a blob id', async () => {
    await writeFile(join(dataDir, 'secret'), 'not a blob');
    const valid = sha(Buffer.from('x'));
    const bad = ['../../etc/passwd', '../secret', '../../secret', valid.toUpperCase(), `${valid}/..`, valid.slice(1), ''];
    for (const id of bad) {
      for (const attempt of [store.get(id), store.get(id, { start: 0, end: 1 }), store.stat(id), store.delete(id)]) {
        expect(await caught(attempt)).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
      }
    }
  });

  it('streams a 64 MB blob in and out with bounded memory', { timeout: 120_000 }, async () => {
    const CHUNK = 64 * 1024;
    const expected = createHash('sha256');
    let peak = 0;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    async function* generate() {
      for (let i = 0; i < 1024; i++) {
        const chunk = Buffer.alloc(CHUNK, i % 251);
        chunk.writeUInt32BE(i, 0);
        expected.update(chunk);
        sample();
        yield chunk;
      }
    }
    const baseline = process.memoryUsage().rss;
    const timer = setInterval(sample, 5);
    try {
      const stored = await store.put(generate());
      expect(stored).toMatchObject({ sha256: expected.digest('hex'), size: 64 * 1024 * 1024 });
      const readBack = createHash('sha256');
      for await (const part of (await store.get(stored.sha256))!) {
        readBack.update(part);
        sample();
      }
      expect(readBack.digest('hex')).toBe(stored.sha256);
    } finally {
      clearInterval(timer);
    }
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
  });

  it('lets concurrent puts of the same bytes all succeed, with exactly one creating the single copy', async () => {
    const data = randomBytes(300_000);
    async function* trickle() {
      for await (const chunk of chunksOf(data, 50_000)) {
        await sleep(Math.random() * 5);
        yield chunk;
      }
    }
    const results = await Promise.all(Array.from({ length: 5 }, () => store.put(trickle())));
    expect(results.map((r) => r.sha256)).toEqual(Array(5).fill(sha(data)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await inventory()).toEqual([`sha/${sha(data)}`]);
    expect((await read(await store.get(sha(data))))!.equals(data)).toBe(true);
  });
});

describe('the in-memory fs store', () => {
  it('is removed from disk when the last store of the process closes', async () => {
    const options = { driver: 'fs' as const, dataDir: 'memory://', namespace: 'memtest' };
    const first = await createBlobStore(options);
    const second = await createBlobStore(options);
    const { sha256 } = await first.put(
      (async function* () {
        yield new TextEncoder().encode('shared by both');
      })(),
    );
    await first.close();
    expect(await second.stat(sha256)).toEqual({ size: 14 });
    await second.close();
    expect(existsSync(blobRoot('memory://'))).toBe(false);
  });
});
