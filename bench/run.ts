/**
 * `pnpm bench [filter…]`: runs every bench/*.bench.ts (or those whose name contains a filter),
 * prints a table each, and merges the figures into bench/results.json and bench/RESULTS.md.
 * A benchmark that fails keeps its previous figures and makes the run exit 1.
 */
import { readdir } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { textTable } from './lib/format.ts';
import { machine, writeResults } from './lib/results.ts';
import type { Benchmark, StoredResult } from './lib/types.ts';

const dir = new URL('./', import.meta.url);
const SUFFIX = '.bench.ts';

/** The 1-minute load average (it lags: read it before starting), with a warning when other work is likely to skew the figures. */
const loadAverage = (): number => {
  const value = Math.round(loadavg()[0]! * 100) / 100;
  if (value > availableParallelism() / 2) {
    console.warn(
      `WARNING: load average ${value} on ${availableParallelism()} CPUs: other work on this machine skews the figures.`,
    );
  }
  return value;
};

const isBenchmark = (value: unknown): value is Benchmark => {
  const b = value as Partial<Benchmark> | null;
  return typeof b?.name === 'string' && typeof b.description === 'string' && typeof b.run === 'function';
};

/** Every `<name>.bench.ts` whose name contains one of the filters (all without filters); only those are imported. */
async function load(filters: string[]): Promise<{ all: string[]; selected: Benchmark[] }> {
  const all = (await readdir(dir))
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
  const selected: Benchmark[] = [];
  for (const name of all.filter((n) => filters.length === 0 || filters.some((f) => n.includes(f)))) {
    const mod = (await import(new URL(`${name}${SUFFIX}`, dir).href)) as { default?: unknown };
    if (!isBenchmark(mod.default)) throw new Error(`bench/${name}${SUFFIX} must default-export { name, description, run() }`);
    if (mod.default.name !== name) throw new Error(`bench/${name}${SUFFIX} must be named '${name}' (got '${mod.default.name}')`);
    selected.push(mod.default);
  }
  return { all, selected };
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2).filter((a) => a !== '--');
  const { all, selected } = await load(filters);
  if (selected.length === 0) {
    console.error(`No benchmark matches ${filters.join(', ')}. Available: ${all.join(', ') || 'none'}`);
    return 1;
  }

  const fresh: Record<string, StoredResult> = {};
  const failed: string[] = [];
  for (const bench of selected) {
    console.log(`\n## ${bench.name}: ${bench.description}\n`);
    const started = Date.now();
    const load = loadAverage();
    try {
      const result = await bench.run();
      console.log(textTable(result));
      console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
      const date = new Date().toISOString();
      fresh[bench.name] = { description: bench.description, date, machine: machine(), loadAverage: load, result };
    } catch (err) {
      failed.push(bench.name);
      console.error(`\nBENCHMARK FAILED: ${bench.name}\n${(err as Error).stack ?? String(err)}`);
    }
  }

  if (Object.keys(fresh).length > 0) {
    await writeResults(fresh);
    console.log(`\nWrote bench/results.json and bench/RESULTS.md (${Object.keys(fresh).join(', ')} updated).`);
  }
  if (failed.length > 0) {
    console.error(`\n${failed.length} benchmark(s) failed: ${failed.join(', ')}; their previous figures were kept.`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
