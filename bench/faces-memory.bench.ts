import { availableParallelism } from 'node:os';
import { createFacePool } from '../services/face-match/src/model/pool.ts';
import { crops, groups } from './lib/face-photos.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';

const PHOTOS = 1_000;
const CHECKPOINTS = [100, 250, 500, 750, 1_000];

const rssMiB = (): number => Math.round(process.memoryUsage().rss / 1024 / 1024);

/**
 * The face-match worker pool (the service's own, the same workers and backend) run over 1,000
 * photos — crops (which take the padded second pass) and group photos in turn — with the process's
 * RSS (workers included) and a worker's live tensor count read at checkpoints. No growth is the claim.
 */
const benchmark: Benchmark = {
  name: 'faces-memory',
  description: `Memory over ${PHOTOS} photos through face-match's worker pool (its own workers, models and backend): process RSS (workers included) and live tensors at checkpoints, after a warm-up of 20 photos. Growth past warm-up is what would show a leak.`,
  async run() {
    const workers = availableParallelism();
    const pool = await createFacePool({ workers, queueMax: 64, maxPixels: 32_000_000 });
    try {
      const photos = [...(await crops([1, 2, 3, 4, 5])), ...(await groups())];
      for (let i = 0; i < 20; i++) await pool.detect(photos[i % photos.length]!.bytes);
      const base = { rss: rssMiB(), tensors: await pool.numTensors() };
      const rows: BenchRow[] = [
        { case: 'after warm-up (20 photos)', figures: { photos: 20, rss: base.rss, growth: 0, tensors: base.tensors } },
      ];
      let done = 0;
      const started = performance.now();
      for (const checkpoint of CHECKPOINTS) {
        const batch: Promise<unknown>[] = [];
        while (done < checkpoint) {
          batch.push(pool.detect(photos[done % photos.length]!.bytes));
          done += 1;
          if (batch.length === workers * 4) await Promise.all(batch.splice(0));
        }
        await Promise.all(batch);
        const rss = rssMiB();
        rows.push({
          case: `after ${checkpoint} photos`,
          figures: { photos: checkpoint, rss, growth: rss - base.rss, tensors: await pool.numTensors() },
        });
        console.log(`  ${checkpoint} photos: RSS ${rss} MiB, tensors ${rows.at(-1)!.figures.tensors}`);
      }
      return {
        columns: [
          { key: 'photos', unit: 'count' },
          { key: 'rss', unit: 'count' },
          { key: 'growth', unit: 'count', signed: true },
          { key: 'tensors', unit: 'count' },
        ],
        limit: 'after warm-up (20 photos)',
        rows,
        settings: {
          backend: pool.backend,
          workers,
          photos: `${photos.length} fixtures in turn (40 crops, 5 group photos)`,
          'rss, growth': 'MiB, the whole process with its worker threads',
          tensors: 'live tensors in one worker (tf.memory().numTensors)',
          seconds: Math.round((performance.now() - started) / 1000),
        },
      };
    } finally {
      await pool.close();
    }
  },
};

export default benchmark;
