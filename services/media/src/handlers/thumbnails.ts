import { type EventData, MediaEvents } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { MediaDomain } from '../services/index.ts';

export const THUMBNAILS_DURABLE = 'media-thumbnails';

/**
 * One durable consumer shared by every copy: each upload is thumbnailed once, by whichever copy gets
 * it; a failure is retried with backoff, then dead-lettered. Long ack wait: a big image takes a while.
 */
export const consumeUploads = (kit: ServiceKit, { thumbnails }: MediaDomain): Promise<void> =>
  kit.consume<EventData<typeof MediaEvents.uploaded>>(
    { durable: THUMBNAILS_DURABLE, subject: MediaEvents.uploaded.subject, ackWaitMs: 60_000 },
    (event) => thumbnails.handle(event),
  );
