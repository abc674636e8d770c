import type { EventEnvelope } from '@parley/contracts';
import { expect } from 'vitest';
import type { MediaWorld } from './harness.ts';

export const eventsOf = (world: MediaWorld, type: string, mediaId: string): EventEnvelope[] =>
  world.events.filter((e) => e.type === type && (e.data as { mediaId?: string }).mediaId === mediaId);

/** The first `type` event about `mediaId`, once the test's own durable consumer has seen it. */
export const waitForEvent = async (world: MediaWorld, type: string, mediaId: string): Promise<EventEnvelope> => {
  await expect.poll(() => eventsOf(world, type, mediaId).length, { timeout: 15_000 }).toBeGreaterThan(0);
  return eventsOf(world, type, mediaId)[0]!;
};

/** How many deliveries the service's thumbnail consumer has finished, by outcome. */
export const handledByThumbnails = async (world: MediaWorld, outcome = 'ack'): Promise<number> => {
  const { values } = await world.app.parley.metrics.eventsHandled.get();
  return values
    .filter((v) => v.labels.durable === 'media-thumbnails' && v.labels.outcome === outcome)
    .reduce((sum, v) => sum + v.value, 0);
};
