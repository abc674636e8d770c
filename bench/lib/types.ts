/** How a figure is printed: `req/s`, `count` and `%` as integers, `ms` with two decimals, `x` as a ratio (0.42×). */
export type Unit = 'req/s' | 'ms' | 'x' | 'count' | '%';

/** One column of a benchmark's table; `key` names the figure in every row. */
export interface Column {
  key: string;
  unit: Unit;
  /** A difference: printed with its sign (+1.20). */
  signed?: boolean;
}

/** One measured case. A case that could not run has no figures and says why in `skipped`. */
export interface BenchRow {
  case: string;
  figures: Record<string, number>;
  skipped?: string;
}

export interface BenchResult {
  /** Display order of the figures. */
  columns: Column[];
  /** The case every other is measured against (the ceiling Parley is compared with). */
  limit: string;
  rows: BenchRow[];
  /** How it was measured (connections, durations, …), printed under the table. */
  settings: Record<string, string | number>;
}

/** What each `bench/<name>.bench.ts` default-exports (`name` must be the file's); `pnpm bench <filter>` matches names. */
export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchResult>;
}

export interface Machine {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  node: string;
  platform: string;
}

/** One benchmark's last figures in `bench/results.json`. */
export interface StoredResult {
  description: string;
  date: string;
  machine: Machine;
  /** 1-minute load average when the benchmark started: other work on the machine skews the figures. */
  loadAverage: number;
  result: BenchResult;
}

export interface ResultsFile {
  generatedBy: string;
  benchmarks: Record<string, StoredResult>;
}
