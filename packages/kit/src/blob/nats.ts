import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type Consumer,
  JetStreamApiCodes,
  JetStreamApiError,
  JsHeaders,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { Base64UrlPaddedCodec, type ObjectInfo, Objm } from '@nats-io/obj';
import { connect, headers } from '@nats-io/transport-node';
import { patiently } from '../bus/nats-jetstream.ts';
import { assertNamespace } from '../bus/subject.ts';
import { assertSha256, blobBucketName, Meter, resolveRange } from './shared.ts';
import type { BlobStore, BlobStoreOptions } from './types.ts';

/*
 * Design. An object store entry is chunk messages on `$O.<bucket>.C.<nuid>` plus one meta message
 * on `$O.<bucket>.M.<base64url(name)>` that names the nuid (ADR-20); the entry exists once that
 * meta message does. So:
 *
 * 1. `os.put('tmp/<uuid>')` streams the bytes as chunks while `Meter` hashes and counts them. Memory
 *    stays at one chunk. Over maxBytes, a source error or an abort fails the stream, and the
 *    library purges the chunks it had written. The tmp name only ever points at complete data.
 * 2. Rename: the same info (nuid, size, digest) is published as the meta of `sha/<hash>`, then the
 *    tmp meta is purged. The chunks are never copied, so this is O(1) at any size, and the sha
 *    name appears in one message that points at chunks already complete.
 * 3. That publish is compare-and-set (`Nats-Expected-Last-Subject-Sequence` = the sha name's
 *    last revision, 0 if none). When two puts of the same bytes race, exactly one wins. The other
 *    sees the live entry and purges its own chunks, so the bytes are stored once and report
 *    `created: false`. `os.update()` also renames, but it checks and then writes without CAS, so
 *    both racers could win and one copy's chunks would be orphaned.
 *
 * Links were not used: `os.link` points at the tmp entry, so deleting the tmp entry would break
 * the link, and keeping it means every blob has two names to clean up. Re-putting from the tmp
 * entry would copy every byte a second time.
 *
 * Reads go through an ordered pull consumer on the chunk subject, fetching a few chunks at a time
 * only when the Node stream asks for more. `os.get` pushes the whole object into an unbounded
 * web stream queue instead. A crash mid-upload leaves only chunks with no meta: they are never
 * readable, but nothing here reclaims them.
 */

const READ_BATCH = 8;
const FETCH_EXPIRES_MS = 10_000;

const rollup = () => {
  const h = headers();
  h.set(JsHeaders.RollupHdr, JsHeaders.RollupValueSubject);
  return h;
};

const toWebStream = (chunks: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> =>
  new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    },
    { highWaterMark: 0 },
  );

// The consumer is made on first read, so a stream dropped unread leaves nothing on the server.
async function* readChunks(open: () => Promise<Consumer>, info: ObjectInfo, start: number, end: number, verify?: string) {
  const consumer = await open();
  const hash = verify ? createHash('sha256') : undefined;
  let offset = 0;
  let remaining = info.chunks;
  try {
    while (remaining > 0 && offset <= end) {
      const want = Math.min(remaining, READ_BATCH);
      const batch: Uint8Array[] = [];
      for await (const msg of await consumer.fetch({ max_messages: want, expires: FETCH_EXPIRES_MS })) batch.push(msg.data);
      if (batch.length < want) throw new Error(`blob ${info.name}: chunks missing (deleted while being read?)`);
      remaining -= want;
      for (const data of batch) {
        hash?.update(data);
        const from = Math.max(0, start - offset);
        const to = Math.min(data.byteLength, end + 1 - offset);
        offset += data.byteLength;
        if (to > from) yield Buffer.from(data.buffer, data.byteOffset + from, to - from);
      }
    }
    if (hash && hash.digest('hex') !== verify) throw new Error(`blob ${info.name}: stored bytes do not match their sha256`);
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

export const createNatsBlobStore = async (options: BlobStoreOptions): Promise<BlobStore> => {
  if (!options.natsUrl) throw new Error('BLOB_STORE=nats needs NATS_URL');
  const namespace = assertNamespace(options.namespace);
  const bucket = blobBucketName(namespace, options.name);
  const nc = await connect({
    servers: options.natsUrl.split(','),
    name: `${namespace}-blobs`,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnect: true,
  });
  const js = jetstream(nc);
  let os: Awaited<ReturnType<Objm['create']>>;
  let jsm: Awaited<ReturnType<typeof jetstreamManager>>;
  try {
    jsm = await jetstreamManager(nc);
    // A cluster that has just formed may not answer JetStream's API for a moment.
    os = await patiently(bucket, undefined, () =>
      new Objm(js).create(bucket, { replicas: options.replicas ?? 1, storage: StorageType.File }),
    );
  } catch (err) {
    await nc.close();
    throw err;
  }
  const stream = `OBJ_${bucket}`;
  const metaSubject = (name: string) => `$O.${bucket}.M.${Base64UrlPaddedCodec.encode(name)}`;
  const purge = (filter: string) => jsm.streams.purge(stream, { filter });
  const discard = async (tmp: ObjectInfo) => {
    await purge(`$O.${bucket}.C.${tmp.nuid}`);
    await purge(metaSubject(tmp.name));
  };
  const nameOf = (sha256: string) => `sha/${assertSha256(sha256)}`;
  const live = async (sha256: string) => {
    const info = await os.info(nameOf(sha256));
    return info && !info.deleted ? info : null;
  };

  /** True when `name` now points at tmp's chunks because of this call; false when other bytes got there first. */
  const claim = async (name: string, tmp: ObjectInfo): Promise<boolean> => {
    const { nuid, size, chunks, mtime, digest } = tmp;
    const meta = { name, description: '', bucket, nuid, size, chunks, mtime, digest, options: tmp.options, deleted: false };
    for (;;) {
      const current = await os.info(name);
      // Same nuid: an earlier attempt whose ack was lost did land.
      if (current && !current.deleted) return current.nuid === tmp.nuid;
      try {
        await js.publish(metaSubject(name), JSON.stringify(meta), {
          headers: rollup(),
          expect: { lastSubjectSequence: current?.revision ?? 0 },
        });
        return true;
      } catch (err) {
        if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence)) throw err;
      }
    }
  };

  return {
    driver: 'nats',

    async put(source, putOptions = {}) {
      const meter = new Meter(putOptions.maxBytes);
      const bytes = meter.measure(source, putOptions.signal);
      let tmp: ObjectInfo;
      try {
        tmp = await os.put({ name: `tmp/${randomUUID()}` }, toWebStream(bytes));
      } finally {
        await bytes.return(undefined);
      }
      const sha256 = meter.digest();
      const name = nameOf(sha256);
      let created: boolean;
      try {
        if (tmp.digest !== `SHA-256=${Base64UrlPaddedCodec.encode(Buffer.from(sha256, 'hex'))}`) {
          throw new Error('object store digest differs from the hash of the streamed bytes');
        }
        created = await claim(name, tmp);
      } catch (err) {
        // Purge the chunks only when sure the sha name does not point at them (a lost ack may have landed).
        const current = await os.info(name).catch(() => undefined);
        if (current !== undefined && current?.nuid !== tmp.nuid) await discard(tmp).catch(() => undefined);
        throw err;
      }
      if (created) await purge(metaSubject(tmp.name));
      else await discard(tmp);
      return { sha256, size: meter.bytes, created };
    },

    async get(sha256, range) {
      const info = await live(sha256);
      if (!info) return null;
      if (!range && info.size === 0) return Readable.from([]);
      const { start, end } = resolveRange(range, info.size);
      const whole = start === 0 && end === info.size - 1;
      const open = () => js.consumers.get(stream, { filter_subjects: `$O.${bucket}.C.${info.nuid}` });
      return Readable.from(readChunks(open, info, start, end, whole ? sha256 : undefined), { objectMode: false });
    },

    async stat(sha256) {
      const info = await live(sha256);
      return info ? { size: info.size } : null;
    },

    async delete(sha256) {
      if (await live(sha256)) await os.delete(nameOf(sha256));
    },

    async close() {
      if (!nc.isClosed()) await nc.close();
    },
  };
};
