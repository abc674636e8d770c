import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type Caller,
  type EventEnvelope,
  FACE_UPLOADS_STORE,
  FaceEndpoints,
  type SearchReply,
  type UploadedPhoto,
} from '@parley/contracts';
import { type BlobStore, openBlobStore } from '@parley/kit';
import { dropBlobBucket, type ServiceHarness, startServiceHarness } from '@parley/kit/testing';
import { type FaceMatchConfig, faceMatchApp, loadFaceMatchConfig } from '../../src/index.ts';

export interface FaceWorld extends ServiceHarness<FaceMatchConfig> {
  /** The scratch store, opened by the test as the gateway opens it. */
  uploads: BlobStore;
  /** Every face event on the durable stream, in order (a consumer of the test's own). */
  events: EventEnvelope[];
  /** Puts bytes into the scratch store, as the gateway does before calling the service. */
  photo(bytes: Buffer, filename?: string): Promise<UploadedPhoto>;
  search(caller: Caller, bytes: Buffer, bus?: ServiceHarness<FaceMatchConfig>['bus']): Promise<SearchReply>;
}

/** The real face-match service: its own bus namespace, database and scratch store. */
export const startFaces = async (env: Record<string, string> = {}): Promise<FaceWorld> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-faces-test-'));
  const harness = await startServiceHarness({
    service: 'face-match',
    loadConfig: loadFaceMatchConfig,
    env: { DATA_DIR: dataDir, BLOB_STORE: process.env.BLOB_STORE ?? 'fs', ...env },
    register: (app, { config, shared }) => void app.register(faceMatchApp, { config, shared }),
  });
  const { config, bus } = harness;
  harness.onClose(async () => {
    if (config.BLOB_STORE === 'nats') await dropBlobBucket(config.NATS_URL, config.BUS_NAMESPACE, FACE_UPLOADS_STORE);
    await rm(dataDir, { recursive: true, force: true });
  });
  const events: EventEnvelope[] = [];
  let uploads: BlobStore;
  try {
    uploads = await openBlobStore(config, FACE_UPLOADS_STORE);
    const store = uploads;
    harness.onClose(() => store.close());
    await bus.consume({ durable: 'face-events-test', subject: 'evt.face.>' }, (event) => {
      events.push(event.envelope);
      return 'ack';
    });
  } catch (err) {
    await harness.close().catch(() => {});
    throw err;
  }
  const photo: FaceWorld['photo'] = async (bytes, filename = 'photo.png') => {
    const { sha256, size } = await uploads.put(Readable.from([bytes]));
    return { sha256, size, filename };
  };
  return {
    ...harness,
    uploads,
    events,
    photo,
    search: async (caller, bytes, via = bus) =>
      via.request(FaceEndpoints.search, { caller, photo: await photo(bytes) }, { timeoutMs: 60_000 }),
  };
};

/** A signed-in user as the gateway passes them on the bus. */
export const newCaller = (): Caller => ({
  userId: `u_${randomUUID()}`,
  sessionId: randomUUID(),
  ip: '198.51.100.7',
  userAgent: 'vitest',
});
