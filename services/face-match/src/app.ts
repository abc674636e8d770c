import { fileURLToPath } from 'node:url';
import { FACE_UPLOADS_STORE } from '@parley/contracts';
import { type BlobStore, openBlobStore, type ServiceKit, type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { FaceMatchConfig } from './config.ts';
import { followLibraryChanges, serveFaces } from './handlers/index.ts';
import { createFacePool, type FacePool } from './model/pool.ts';
import { createRepositories } from './repositories/index.ts';
import type { FaceDeps } from './services/deps.ts';
import { createFaceDomain } from './services/index.ts';
import { createLibraryIndex, type LibraryIndex } from './services/library-index.ts';

export interface FaceMatchOptions {
  config: FaceMatchConfig;
  shared?: SharedInfra;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

declare module 'fastify' {
  interface FastifyInstance {
    /** The inference pool (tests read its backend and tensor count). */
    facePool: FacePool;
    /** The in-memory per-owner index (tests check that copies keep it in step). */
    faceIndex: LibraryIndex;
  }
}

async function faceMatch(app: FastifyInstance, opts: FaceMatchOptions): Promise<void> {
  const { config } = opts;
  // Models load in every worker before the service answers; a backend that cannot start fails the boot.
  const pool = await createFacePool({
    workers: config.FACE_WORKERS,
    queueMax: config.FACE_QUEUE_MAX,
    maxPixels: config.MAX_IMAGE_PIXELS,
  });
  let uploads: BlobStore;
  try {
    uploads = await openBlobStore(config, FACE_UPLOADS_STORE);
  } catch (err) {
    await pool.close();
    throw err;
  }
  // Added before the kit's hooks, so they run after them: workers and store go once the endpoints stopped.
  app.addHook('onClose', async () => {
    await uploads.close();
    await pool.close();
  });
  app.decorate('facePool', pool);
  const model = { ok: true, latencyMs: 0, backend: pool.backend, workers: config.FACE_WORKERS };
  await app.register(serviceKit, {
    name: 'face-match',
    config,
    shared: opts.shared,
    migrationsFolder,
    outbox: true,
    readiness: async () => ({ model }),
  });
  const kit = app.parley;
  kit.log.info({ backend: pool.backend, workers: config.FACE_WORKERS }, 'face-match: models loaded');
  const deps = createFaceDeps(kit, config, uploads, pool);
  app.decorate('faceIndex', deps.index);
  followLibraryChanges(kit, deps.index);
  serveFaces(kit, createFaceDomain(deps));
}

/** The domain's dependencies on top of the service kit: one place that wires them, also for tests. */
export const createFaceDeps = (
  kit: Pick<ServiceKit, 'bus' | 'log' | 'database' | 'outbox'>,
  config: FaceMatchConfig,
  uploads: BlobStore,
  pool: FacePool,
): FaceDeps => {
  const { db } = kit.database();
  const repos = createRepositories(db);
  const outbox = kit.outbox();
  return {
    config,
    repos,
    transaction: (fn) => outbox.transaction((tx, events) => fn({ ...createRepositories(tx), events })),
    outbox,
    bus: kit.bus,
    uploads,
    pool,
    index: createLibraryIndex({
      load: (ownerId) => repos.photos.forOwner(ownerId),
      maxDescriptors: config.FACE_INDEX_MAX_DESCRIPTORS,
      maxAgeMs: config.FACE_INDEX_MAX_AGE_SECONDS * 1000,
    }),
    log: kit.log,
  };
};

export default fp(faceMatch, { name: 'parley-face-match', fastify: '5.x' });
