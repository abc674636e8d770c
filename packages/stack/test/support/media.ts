import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { ParleyClient } from '@parley/client';
import { ImageKinds, type MediaObject } from '@parley/contracts';
import { type BlobStore, blobBucketName, createBlobStore } from '@parley/kit';
import { dropBlobBucket } from '@parley/kit/testing';
import { expect } from 'vitest';
import { type MailStack, pollUntil, startMailStack } from './accounts.ts';

export type BlobDriver = 'fs' | 'nats';

/** Both blob drivers when the run has a NATS server, else the filesystem one. */
export const drivers: BlobDriver[] = ['fs', ...(process.env.NATS_URL ? (['nats'] as const) : [])];

export interface MediaStack extends MailStack {
  driver: BlobDriver;
  /** A blob store opened with the stack's own config: it sees what the gateway stored. */
  blobs: BlobStore;
  /** What the store holds, in a form to compare before and after (file names for fs, the bucket's chunk subjects for nats). */
  storeFingerprint(): Promise<string>;
}

/** A stack whose gateway stores uploads with `driver`, its blobs under a temp DATA_DIR of its own (fs) or its own bucket (nats). */
export const startMediaStack = async (driver: BlobDriver, env: NodeJS.ProcessEnv = {}): Promise<MediaStack> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-media-test-'));
  const ms = await startMailStack({ BLOB_STORE: driver, DATA_DIR: dataDir, ...env });
  const { NATS_URL: natsUrl, BUS_NAMESPACE } = ms.stack.env;
  const namespace = BUS_NAMESPACE as string;
  const blobs = await createBlobStore({ driver, dataDir, natsUrl, namespace, replicas: 1 });
  return {
    ...ms,
    driver,
    blobs,
    storeFingerprint: () => (driver === 'fs' ? filesUnder(join(dataDir, 'blobs')) : bucketState(natsUrl as string, namespace)),
    close: async () => {
      await blobs.close();
      await ms.close();
      await dropBlobBucket(natsUrl, namespace);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};

const filesUnder = async (root: string): Promise<string> => {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
  return files.sort().join('\n');
};

/** The bucket's chunk messages (the bytes) by subject; deletions leave a tombstone among the metadata, which this ignores. */
const bucketState = async (natsUrl: string, namespace: string): Promise<string> => {
  const nc = await connect({ servers: natsUrl.split(','), timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    const bucket = blobBucketName(namespace);
    const { state } = await jsm.streams.info(`OBJ_${bucket}`, { subjects_filter: `$O.${bucket}.C.>` });
    return Object.entries(state.subjects ?? {})
      .map(([subject, count]) => `${subject} ${count}`)
      .sort()
      .join('\n');
  } finally {
    await nc.close();
  }
};

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The user's media list without its signed URLs' expiry and signature: signed expiries are rounded up
 * to a step (minutes), so two reads either side of a step boundary differ only there. For "nothing
 * changed" comparisons.
 */
export const listedMedia = async (client: ParleyClient): Promise<unknown> =>
  JSON.parse(JSON.stringify(await client.media.list({ limit: 100 })).replace(/exp=\d+&sig=[\w-]+/g, 'exp=…&sig=…'));

/** Polls the owner's list until `check` holds for the media (its thumbnail made, say); fails after `withinMs`. */
export const waitForMedia = async (
  list: () => Promise<{ items: MediaObject[] }>,
  id: string,
  check: (m: MediaObject) => boolean,
  withinMs = 15_000,
): Promise<MediaObject> => {
  let found: MediaObject | undefined;
  const took = await pollUntil(async () => {
    found = (await list()).items.find((m) => m.id === id);
    return found !== undefined && check(found);
  }, withinMs);
  expect(took, `media ${id} did not reach the expected state within ${withinMs} ms: ${JSON.stringify(found)}`).toBeDefined();
  return found as MediaObject;
};

/**
 * Waits until every image of mine has its thumbnail: thumbnails are written to the store in the
 * background, so a comparison of what the store holds must wait for them first.
 */
export const waitForThumbnails = async (client: ParleyClient, withinMs = 15_000): Promise<void> => {
  let pending: string[] = [];
  const took = await pollUntil(async () => {
    const { items } = await client.media.list({ limit: 100 });
    pending = items.filter((m) => ImageKinds.includes(m.kind) && m.thumbnailUrl === null).map((m) => m.id);
    return pending.length === 0;
  }, withinMs);
  expect(took, `no thumbnail within ${withinMs} ms for ${pending.join(', ')}`).toBeDefined();
};

/** The `filename*` of a Content-Disposition, decoded. */
export const extendedFilename = (disposition: string | null): string | undefined => {
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '');
  return match ? decodeURIComponent(match[1] as string) : undefined;
};
