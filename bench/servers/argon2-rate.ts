/**
 * The limit of the login benchmark: raw `@node-rs/argon2` verify calls per second in a process of
 * its own (like the stack's), with the argon2id parameters and the number of calls in flight given
 * in the environment. Prints one JSON line with the figures and exits; nothing else is measured.
 *
 * Env: ARGON2_MEMORY_KIB, ARGON2_TIME_COST, ARGON2_PARALLELISM, CONCURRENCY, WARMUP_SECONDS, MEASURE_SECONDS.
 */
import { performance } from 'node:perf_hooks';
// bench/ is no workspace package: the auth service's own copy, the one its logins run.
import { hash, type Options, verify } from '../../services/auth/node_modules/@node-rs/argon2/index.js';

const int = (name: string): number => {
  const value = Number(process.env[name]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`argon2-rate: ${name} must be a positive integer`);
  return value;
};

const options: Options = {
  algorithm: 2 as Options['algorithm'], // Argon2id (an ambient const enum isolatedModules cannot read)
  memoryCost: int('ARGON2_MEMORY_KIB'),
  timeCost: int('ARGON2_TIME_COST'),
  parallelism: int('ARGON2_PARALLELISM'),
};
const concurrency = int('CONCURRENCY');
const password = 'violet tundra marmalade sprocket 42';
const stored = await hash(password, options);

/** `concurrency` verifications always in flight for `seconds`; latencies of the ones that finished in the window. */
const run = async (seconds: number, latencies?: number[]): Promise<number> => {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const started = performance.now();
      if (!(await verify(stored, password))) throw new Error('argon2-rate: verify returned false');
      const finished = performance.now();
      if (finished <= end) {
        done++;
        latencies?.push(finished - started);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((Math.min(performance.now(), end) - started) / 1000);
};

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

await run(int('WARMUP_SECONDS'));
const latencies: number[] = [];
const perSecond = await run(int('MEASURE_SECONDS'), latencies);
latencies.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    verifiesPerSec: perSecond,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    verifies: latencies.length,
    hashPrefix: stored.slice(0, stored.lastIndexOf('$', stored.lastIndexOf('$') - 1)),
  })}\n`,
);
