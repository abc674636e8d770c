import autocannon from 'autocannon';
import type { LoadFigures, LoadOptions } from './load.ts';

/** Nearest-rank percentile of sorted values (NaN when there are none). */
export const percentile = (sorted: ArrayLike<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

const run = (url: string, body: string, connections: number, seconds: number, onLatency?: (ms: number) => void) =>
  new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'parley-bench/1.0 (autocannon)' },
        body,
        connections,
        duration: seconds,
        timeout: 10,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (onLatency) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) onLatency(responseTime);
      });
    }
  });

// autocannon counts timeouts among `errors`.
const failuresOf = (r: autocannon.Result): number => r.errors + r.non2xx;
const describeFailures = (r: autocannon.Result): string =>
  `${r.errors} errors (${r.timeouts} of them timeouts), ${r.non2xx} non-2xx replies out of ${r.requests.total} requests`;

/**
 * bench/lib/load.ts's `measure` for a POST with a JSON body: warm-up (unless 0 s), then a measured run
 * on keep-alive connections, percentiles from every 2xx response's own time (`samples`, sorted). Throws when any
 * request failed.
 */
export async function measurePost(
  url: string,
  body: unknown,
  options: LoadOptions,
): Promise<LoadFigures & { samples: Float64Array }> {
  const text = JSON.stringify(body);
  if (options.warmupSeconds > 0) {
    const warmup = await run(url, text, options.connections, options.warmupSeconds);
    if (failuresOf(warmup) > 0) throw new Error(`POST ${url}: ${describeFailures(warmup)} during warm-up`);
  }
  const samples: number[] = [];
  const result = await run(url, text, options.connections, options.seconds, (ms) => samples.push(ms));
  if (failuresOf(result) > 0) throw new Error(`POST ${url}: ${describeFailures(result)}`);
  if (result['2xx'] === 0) throw new Error(`POST ${url}: no successful response`);
  const sorted = Float64Array.from(samples).sort();
  return {
    reqPerSec: result.requests.average,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    requests: result['2xx'],
    failures: 0,
    samples: sorted,
  };
}
