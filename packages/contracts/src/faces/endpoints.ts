import { Type } from 'typebox';
import { Caller, Id } from '../auth/schemas.ts';
import { endpoint } from '../endpoint.ts';
import { AddPhotosReply, Identity, IdentityName, PHOTOS_PER_REQUEST_MAX, SearchReply, UploadedPhoto } from './schemas.ts';

/** The face-match service's bus API. Photos travel as blobs in the scratch store, never on the bus. */
export const FaceEndpoints = {
  createIdentity: endpoint('faces.identities.create', Type.Object({ caller: Caller, name: IdentityName }), Identity),
  listIdentities: endpoint(
    'faces.identities.list',
    Type.Object({ caller: Caller }),
    Type.Object({ items: Type.Array(Identity), nextCursor: Type.Null() }),
    { idempotent: true },
  ),
  /** Its photos' descriptors go with it; searches stop matching it at once (every copy). */
  deleteIdentity: endpoint(
    'faces.identities.delete',
    Type.Object({ caller: Caller, identityId: Id }),
    Type.Object({ done: Type.Literal(true) }),
  ),
  /** Each photo must show exactly one face; the others are rejected one by one, the rest still added. */
  addPhotos: endpoint(
    'faces.photos.add',
    Type.Object({
      caller: Caller,
      identityId: Id,
      photos: Type.Array(UploadedPhoto, { minItems: 1, maxItems: PHOTOS_PER_REQUEST_MAX }),
    }),
    AddPhotosReply,
  ),
  /** Every face in the photo against the caller's own library only. 415 when it is not an image. */
  search: endpoint('faces.search', Type.Object({ caller: Caller, photo: UploadedPhoto }), SearchReply),
} as const;
