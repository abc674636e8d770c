import { randomUUID } from 'node:crypto';
import { type AddPhotosReply, type Caller, FaceEvents, type UploadedPhoto } from '@parley/contracts';
import { eventBy } from '@parley/kit';
import { identityNotFound } from '../errors.ts';
import type { NewPhoto } from '../repositories/photos.ts';
import type { FaceDeps } from './deps.ts';
import { libraryChanged } from './library.ts';
import { roundBox } from './search.ts';
import { readUpload } from './uploads.ts';

type Rejection = AddPhotosReply['rejected'][number];
type Outcome = { photo: NewPhoto; file: string } | Rejection;

const descriptorBytes = (descriptor: Float32Array): Buffer => Buffer.from(Float32Array.from(descriptor).buffer);

/** Adds photos to one of the caller's identities: each must show exactly one face, the others are rejected one by one. */
export const createEnrolment = (deps: FaceDeps) => {
  const examine = async (ownerId: string, identityId: string, upload: UploadedPhoto, at: number): Promise<Outcome> => {
    const file = upload.filename || `#${at + 1}`;
    const reject = (code: Rejection['code'], detail: string): Rejection => ({ file, code, detail });
    const bytes = await readUpload(deps.uploads, upload);
    if (!bytes) return reject('INVALID_IMAGE', 'The photo did not arrive');
    const found = await deps.pool.detect(bytes);
    if (found.kind === 'failed') {
      return reject(
        'INVALID_IMAGE',
        found.reason === 'IMAGE_TOO_LARGE' ? 'The image has too many pixels' : 'Not a readable image',
      );
    }
    if (found.faces.length === 0) return reject('NO_FACE', 'No face was found in the photo');
    if (found.faces.length > 1)
      return reject('MULTIPLE_FACES', `${found.faces.length} faces were found; enrol photos of one face`);
    const face = found.faces[0]!;
    return {
      file,
      photo: { id: randomUUID(), identityId, ownerId, box: roundBox(face.box), descriptor: descriptorBytes(face.descriptor) },
    };
  };

  return {
    async add(caller: Caller, identityId: string, uploads: UploadedPhoto[]): Promise<AddPhotosReply> {
      const ownerId = caller.userId;
      if (!(await deps.repos.identities.find(ownerId, identityId))) throw identityNotFound();
      // Concurrently: the pool spreads them over its workers (and refuses them all when it is full).
      const outcomes = await Promise.all(uploads.map((u, i) => examine(ownerId, identityId, u, i)));
      const accepted = outcomes.filter((o): o is Extract<Outcome, { photo: NewPhoto }> => 'photo' in o);
      const rejected = outcomes.filter((o): o is Rejection => 'code' in o);
      const added = accepted.map(({ photo, file }) => ({ photoId: photo.id, box: photo.box, file }));
      const data = { identityId, ownerId, added: added.map((a) => a.photoId), rejected: rejected.length };
      const by = eventBy(caller, identityId);
      if (accepted.length === 0) {
        // Nothing changed, but the attempt is still recorded before the answer.
        await deps.outbox.record(FaceEvents.photosEnrolled, data, by);
      } else {
        await deps.transaction(async (tx) => {
          // Deleted while we looked at the photos: nothing to add them to.
          if (!(await tx.identities.find(ownerId, identityId))) throw identityNotFound();
          await tx.photos.insertMany(accepted.map((a) => a.photo));
          await tx.events.stage(FaceEvents.photosEnrolled, data, by);
        });
        libraryChanged(deps, ownerId);
      }
      return { added, rejected };
    },
  };
};
