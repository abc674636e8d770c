import type { Logger } from '../logger.ts';
import { createMemoryBus } from './memory.ts';
import type { MemoryHub } from './memory-hub.ts';
import { createNatsBus } from './nats.ts';
import type { Bus } from './types.ts';

export * from './codec.ts';
export * from './memory.ts';
export * from './memory-hub.ts';
export * from './nats.ts';
export * from './nats-jetstream.ts';
export * from './record.ts';
export * from './shared.ts';
export * from './subject.ts';
export * from './types.ts';

export interface BusOptions {
  /** NATS when set; otherwise the in-process transport. */
  natsUrl?: string | undefined;
  namespace: string;
  /** This copy's name (an instance id or the service name); the NATS connection name. */
  name: string;
  /** The service: `source` of emitted events and the default queue group. Default: `name`. */
  source?: string;
  logger: Logger;
  /** In-process only: the hub to join. Default: the process-wide hub. */
  hub?: MemoryHub;
  /** NATS only: replicas of the streams this bus creates. Default 1. */
  streamReplicas?: number;
  /** Default queue group for `serve`. Default: `source`, else `name`. */
  queue?: string;
}

export const createBus = async (options: BusOptions): Promise<Bus> => {
  const { natsUrl, hub, streamReplicas, ...common } = options;
  if (natsUrl) return createNatsBus({ ...common, url: natsUrl, ...(streamReplicas === undefined ? {} : { streamReplicas }) });
  return createMemoryBus({ ...common, ...(hub ? { hub } : {}) });
};
