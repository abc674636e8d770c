import { MediaEndpoints } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { MediaDomain } from '../services/index.ts';

/** Every bus endpoint of MediaEndpoints. */
export const serveMedia = (kit: ServiceKit, { uploads, access, library }: MediaDomain): void => {
  kit.serve(MediaEndpoints.register, (req) => uploads.register(req));
  kit.serve(MediaEndpoints.grant, (req) => access.grant(req));
  kit.serve(MediaEndpoints.list, ({ caller, ...query }) => library.list(caller, query));
  kit.serve(MediaEndpoints.get, ({ caller, mediaId }) => library.get(caller, mediaId));
  kit.serve(MediaEndpoints.delete, ({ caller, mediaId }) => library.delete(caller, mediaId));
};
