import { fileURLToPath } from 'node:url';
import { ParleyError } from '@parley/contracts';
import { Piscina } from 'piscina';
import type { BackendName } from './faces.ts';
import type { WorkerReply, WorkerTask } from './protocol.ts';

export interface FacePoolOptions {
  workers: number;
  /** Tasks that may wait for a worker; beyond that a photo is refused at once (503). */
  queueMax: number;
  maxPixels: number;
}

export type DetectReply = Exclude<WorkerReply, { kind: 'info' }>;

export interface FacePool {
  backend: BackendName;
  /** Decodes and detects off the event loop. Throws 503 SERVICE_UNAVAILABLE when the queue is full. */
  detect(bytes: Uint8Array): Promise<DetectReply>;
  /** Live tensors in one worker (for tests: they must not grow). */
  numTensors(): Promise<number>;
  stats(): { workers: number; queued: number; running: number };
  close(): Promise<void>;
}

/**
 * From source the worker is TypeScript, loaded through a tsx bootstrap; from the tsup build it is
 * `worker.js` beside the bundle (the build script lists it as an entry).
 */
const workerFile = (): string =>
  import.meta.url.endsWith('.ts')
    ? fileURLToPath(new URL('./worker-boot.mjs', import.meta.url))
    : fileURLToPath(new URL('./worker.js', import.meta.url));

const RETRY_AFTER_SECONDS = 1;

const BUSY = /^(Task queue is at limit|No task queue available and all Workers are busy)$/;

/** Inference off the event loop: one worker per core, each with its own models, and a bounded queue. */
export const createFacePool = async (options: FacePoolOptions): Promise<FacePool> => {
  const pool = new Piscina<WorkerTask, WorkerReply>({
    filename: workerFile(),
    minThreads: options.workers,
    maxThreads: options.workers,
    maxQueue: options.queueMax,
    // Models take a while to load: a worker, once up, stays.
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  let info: WorkerReply;
  try {
    // Loads the models; a backend that cannot start fails the boot here.
    info = await pool.run({ kind: 'info' });
  } catch (err) {
    await pool.destroy();
    throw err;
  }
  if (info.kind !== 'info') throw new Error('face-match: unexpected worker reply');

  const run = async (task: WorkerTask, transferList?: ArrayBuffer[]): Promise<WorkerReply> => {
    try {
      return await pool.run(task, transferList ? { transferList } : {});
    } catch (err) {
      // Piscina's words for a full queue, and for no queue at all (FACE_QUEUE_MAX=0) with every worker busy.
      if (BUSY.test((err as Error).message)) {
        throw new ParleyError('SERVICE_UNAVAILABLE', 'Face recognition is busy; try again shortly', {
          extra: { retryAfter: RETRY_AFTER_SECONDS },
        });
      }
      throw err;
    }
  };

  return {
    backend: info.backend,
    async detect(bytes) {
      // A copy of our own to hand over: the original may be a view into a shared Buffer pool.
      const own = new Uint8Array(bytes).buffer;
      const reply = await run({ kind: 'detect', bytes: own, maxPixels: options.maxPixels }, [own]);
      if (reply.kind === 'info') throw new Error('face-match: unexpected worker reply');
      return reply;
    },
    async numTensors() {
      const reply = await run({ kind: 'info' });
      return reply.kind === 'info' ? reply.numTensors : -1;
    },
    stats: () => ({ workers: pool.threads.length, queued: pool.queueSize, running: pool.utilization }),
    close: () => pool.destroy(),
  };
};
