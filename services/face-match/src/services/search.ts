import { type Caller, type FaceBox, FaceEvents, ParleyError, type SearchReply, type UploadedPhoto } from '@parley/contracts';
import { eventBy } from '@parley/kit';
import type { FaceDeps } from './deps.ts';
import { nearest } from './library-index.ts';
import { readUpload } from './uploads.ts';

/** Whole pixels: sub-pixel precision of a detector box means nothing to anyone. */
export const roundBox = (box: FaceBox): FaceBox => ({
  x: Math.round(box.x),
  y: Math.round(box.y),
  width: Math.round(box.width),
  height: Math.round(box.height),
});

const notAnImage = () => new ParleyError('UNSUPPORTED_FILE_TYPE', 'The file is not an image we can read');

/** Every face in a photo against the caller's own library, never anyone else's. */
export const createSearch = (deps: FaceDeps) => ({
  async search(caller: Caller, photo: UploadedPhoto): Promise<SearchReply> {
    const threshold = deps.config.FACE_MATCH_THRESHOLD;
    const bytes = await readUpload(deps.uploads, photo);
    if (!bytes) throw notAnImage();
    const found = await deps.pool.detect(bytes);
    if (found.kind === 'failed') {
      if (found.reason === 'IMAGE_TOO_LARGE') {
        throw new ParleyError('IMAGE_TOO_LARGE', `The image has more than ${deps.config.MAX_IMAGE_PIXELS} pixels`);
      }
      throw notAnImage();
    }
    const index = found.faces.length > 0 ? await deps.index.get(caller.userId) : null;
    const faces = found.faces.map((face) => {
      const best = index ? nearest(index, face.descriptor) : null;
      const match =
        best && best.distance <= threshold
          ? { ...best, distance: round(best.distance), similarity: round(Math.min(1, Math.max(0, 1 - best.distance))) }
          : null;
      return { box: roundBox(face.box), match };
    });
    const identityIds = [...new Set(faces.flatMap((f) => (f.match ? [f.match.identityId] : [])))];
    const matched = identityIds.length > 0;
    // Recorded before the answer: a search whose record cannot be stored is not answered (503).
    const data = { ownerId: caller.userId, faces: faces.length, matched, identityIds };
    await deps.outbox.record(FaceEvents.searched, data, eventBy(caller, caller.userId));
    return { matched, faces, threshold };
  },
});

const round = (n: number): number => Math.round(n * 10_000) / 10_000;
