import autocannon from 'autocannon';

export interface LoadOptions {
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** Sent with every request (e.g. `authorization`), beside those of a POST body. */
  headers?: Record<string, string>;
}

export interface LoadFigures {
  /** Mean of the per-second request counts over the measured run. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Connection errors (timeouts included) + non-2xx replies; anything above 0 fails the run. */
  failures: number;
}

const MAX_SAMPLES = 5_000_000;

/** Nearest-rank percentile of sorted values (NaN when there are none). */
export const percentile = (sorted: ArrayLike<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

/** A POST with a JSON body instead of a GET. */
export interface LoadRequest {
  method: 'POST';
  body: unknown;
}

const requestOptions = (request: LoadRequest | undefined, headers: Record<string, string> = {}) =>
  request
    ? {
        method: request.method,
        headers: { 'content-type': 'application/json', 'user-agent': 'parley-bench/1.0 (autocannon)', ...headers },
        body: JSON.stringify(request.body),
      }
    : { headers };

const run = (
  url: string,
  options: { connections: number; headers?: Record<string, string> | undefined },
  seconds: number,
  request: LoadRequest | undefined,
  onLatency?: (ms: number) => void,
) =>
  new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        duration: seconds,
        timeout: 10,
        ...requestOptions(request, options.headers),
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

/**
 * Warm-up (unless 0 s), then a measured run, on keep-alive connections. Percentiles come from every 2xx
 * response's own time in ms (autocannon's histogram keeps whole milliseconds only).
 * Throws when any request failed, in the warm-up or the run. GET unless `request` says POST with a body.
 */
export async function measure(
  url: string,
  options: LoadOptions,
  request?: LoadRequest,
): Promise<LoadFigures & { samples: Float64Array }> {
  if (options.warmupSeconds > 0) {
    const warmup = await run(url, options, options.warmupSeconds, request);
    if (failuresOf(warmup) > 0) throw new Error(`${url}: ${describeFailures(warmup)} during warm-up`);
  }

  const samples = new Float64Array(MAX_SAMPLES);
  let count = 0;
  const result = await run(url, options, options.seconds, request, (ms) => {
    if (count < MAX_SAMPLES) samples[count++] = ms;
  });
  if (failuresOf(result) > 0) throw new Error(`${url}: ${describeFailures(result)}`);
  if (result['2xx'] === 0) throw new Error(`${url}: no successful response`);
  const sorted = samples.subarray(0, count).sort();
  return {
    reqPerSec: result.requests.average,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    requests: result['2xx'],
    failures: 0,
    /** Every 2xx response's time, sorted. */
    samples: sorted,
  };
}

const describeFailures = (r: autocannon.Result): string =>
  `${r.errors} errors (${r.timeouts} of them timeouts), ${r.non2xx} non-2xx replies out of ${r.requests.total} requests`;
