import { Type } from 'typebox';
import { Id } from '../auth/schemas.ts';
import { route } from '../routes.ts';
import { Identity, IdentityName } from './schemas.ts';

const faces = ['faces'] as const;
export const IdentityParams = Type.Object({ id: Id });

/** The JSON face routes; the multipart ones (photos, search) are in `FacePaths`. */
export const FaceRoutes = {
  createIdentity: route({
    method: 'POST',
    url: '/faces/identities',
    summary: 'Create a named identity in my private face library',
    tags: faces,
    body: Type.Object({ name: IdentityName }, { additionalProperties: false }),
    status: 201,
    reply: Identity,
    auth: true,
  }),
  listIdentities: route({
    method: 'GET',
    url: '/faces/identities',
    summary: 'My identities (private to me)',
    tags: faces,
    status: 200,
    reply: Type.Object({ items: Type.Array(Identity), nextCursor: Type.Null() }),
    auth: true,
  }),
  deleteIdentity: route({
    method: 'DELETE',
    url: '/faces/identities/:id',
    summary: 'Delete an identity and its face descriptors',
    tags: faces,
    params: IdentityParams,
    status: 204,
    reply: Type.Null(),
    auth: true,
  }),
} as const;

/** Under `/api/v1`, Fastify syntax. */
export const FacePaths = {
  photos: '/faces/identities/:id/photos',
  search: '/faces/search',
} as const;
