import { randomUUID } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  type Bus,
  createBus,
  createMemoryHub,
  deadLetterStreamName,
  eventStreamName,
  type MemoryHub,
  type Transport,
} from '../../src/bus/index.ts';
import { createLogger } from '../../src/logger.ts';

export const NATS_URL = process.env.NATS_URL;

/** Every suite runs on memory, and on NATS too when NATS_URL is set. */
export const transports: Transport[] = ['memory', ...(NATS_URL ? (['nats'] as const) : [])];

const logger = createLogger({ service: 'bus-test', level: process.env.BUS_TEST_LOG ?? 'silent' });

/** One test's world: a fresh namespace (and hub), buses opened on it, and cleanup of what it created. */
export interface World {
  namespace: string;
  /** Opens a bus; buses with the same `source` are copies of one service (one queue group). */
  open(source?: string): Promise<Bus>;
  cleanup(): Promise<void>;
}

export const createWorld = (transport: Transport): World => {
  const namespace = `t${randomUUID().slice(0, 8)}`;
  const hub: MemoryHub = createMemoryHub();
  const buses: Bus[] = [];
  return {
    namespace,
    async open(source = 'svc') {
      const bus = await createBus({
        natsUrl: transport === 'nats' ? NATS_URL : undefined,
        namespace,
        name: `${source}-${randomUUID().slice(0, 4)}`,
        source,
        logger,
        hub,
      });
      buses.push(bus);
      return bus;
    },
    async cleanup() {
      await Promise.all(buses.splice(0).map((b) => b.close()));
      if (transport !== 'nats' || !NATS_URL) return;
      const nc = await connect({ servers: NATS_URL.split(','), name: 'bus-test-cleanup' });
      try {
        const jsm = await jetstreamManager(nc);
        for (const stream of [eventStreamName(namespace), deadLetterStreamName(namespace)]) {
          await jsm.streams.delete(stream).catch((err) => {
            if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
          });
        }
      } finally {
        await nc.close();
      }
    },
  };
};

/** What a call threw, for assertions on coded errors. */
export const caught = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
};
