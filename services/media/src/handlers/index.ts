import type { ServiceKit } from '@parley/kit';
import type { MediaDomain } from '../services/index.ts';
import { serveMedia } from './media.ts';
import { consumeUploads } from './thumbnails.ts';

/** The bus endpoints, and the consumer that makes thumbnails. */
export const serveAndConsume = async (kit: ServiceKit, domain: MediaDomain): Promise<void> => {
  serveMedia(kit, domain);
  await consumeUploads(kit, domain);
};
