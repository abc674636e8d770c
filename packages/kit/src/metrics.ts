import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type { Counter, Gauge };

/**
 * The metrics every process exposes. One registry per process: in embedded mode
 * all services share it and tell themselves apart by the `service` label.
 */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'service' | 'method' | 'route' | 'status'>;
  busHandled: Histogram<'service' | 'subject' | 'outcome'>;
  busRequests: Histogram<'service' | 'subject' | 'outcome'>;
  eventsHandled: Counter<'service' | 'durable' | 'outcome'>;
}

const cache = new WeakMap<Registry, Metrics>();

export const createRegistry = (): Registry => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  return registry;
};

export const metricsFor = (registry: Registry): Metrics => {
  const existing = cache.get(registry);
  if (existing) return existing;
  const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const metrics: Metrics = {
    registry,
    httpDuration: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['service', 'method', 'route', 'status'],
      buckets,
      registers: [registry],
    }),
    busHandled: new Histogram({
      name: 'parley_bus_handled_duration_seconds',
      help: 'Bus requests answered by this process, by subject and outcome (ok or an error code)',
      labelNames: ['service', 'subject', 'outcome'],
      buckets,
      registers: [registry],
    }),
    busRequests: new Histogram({
      name: 'parley_bus_request_duration_seconds',
      help: 'Bus requests sent by this process, by subject and outcome',
      labelNames: ['service', 'subject', 'outcome'],
      buckets,
      registers: [registry],
    }),
    eventsHandled: new Counter({
      name: 'parley_events_handled_total',
      help: 'Durable events handled, by consumer and outcome',
      labelNames: ['service', 'durable', 'outcome'],
      registers: [registry],
    }),
  };
  cache.set(registry, metrics);
  return metrics;
};

/**
 * A service's own counter, created once per registry: in embedded mode and in tests several
 * copies of a service share one registry, and a second registration would throw.
 */
export const counterOf = <L extends string = string>(
  registry: Registry,
  config: { name: string; help: string; labelNames?: readonly L[] },
): Counter<L> =>
  (registry.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter<L>({ ...config, registers: [registry] });

/** A gauge read at scrape time from `collect` (which sets it), once per registry like `counterOf`. */
export const gaugeOf = <L extends string = string>(
  registry: Registry,
  config: { name: string; help: string; labelNames?: readonly L[]; collect?: (gauge: Gauge<L>) => void | Promise<void> },
): Gauge<L> => {
  const existing = registry.getSingleMetric(config.name) as Gauge<L> | undefined;
  if (existing) return existing;
  const { collect, ...rest } = config;
  return new Gauge<L>({
    ...rest,
    registers: [registry],
    ...(collect
      ? {
          collect(this: Gauge<L>) {
            return collect(this);
          },
        }
      : {}),
  });
};
