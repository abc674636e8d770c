import { createAccess } from './access.ts';
import { createBlobRefs } from './blobs.ts';
import type { MediaDeps } from './deps.ts';
import { createLibrary } from './library.ts';
import { createRooms } from './rooms.ts';
import { createUrlSigner } from './signing.ts';
import { createThumbnails } from './thumbnails.ts';
import { createUploads } from './uploads.ts';
import { createViews } from './views.ts';

/** The media domain, wired once from its dependencies. */
export const createMediaDomain = (deps: MediaDeps) => {
  const refs = createBlobRefs(deps);
  const rooms = createRooms(deps.bus);
  const signer = createUrlSigner(deps);
  const views = createViews(signer, deps.config.PUBLIC_URL);
  return {
    refs,
    signer,
    uploads: createUploads(deps, refs, rooms, views),
    access: createAccess(deps, signer, rooms),
    library: createLibrary(deps, refs, views),
    thumbnails: createThumbnails(deps, refs),
  };
};
export type MediaDomain = ReturnType<typeof createMediaDomain>;
