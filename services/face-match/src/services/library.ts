import { randomUUID } from 'node:crypto';
import { type Caller, FaceEvents, type Identity, LibraryChangedSubject } from '@parley/contracts';
import { identityNotFound } from '../errors.ts';
import type { IdentityRow } from '../repositories/identities.ts';
import type { FaceDeps } from './deps.ts';
import { record, who } from './events.ts';

export const identityView = (row: IdentityRow): Identity => ({
  id: row.id,
  name: row.name,
  photoCount: row.photoCount,
  createdAt: row.createdAt.toISOString(),
});

/**
 * After a change committed: this copy's index forgets the owner at once, the other copies on the
 * next message (core pub/sub; one they miss is covered by the index's max age).
 */
export const libraryChanged = (deps: Pick<FaceDeps, 'bus' | 'index'>, ownerId: string): void => {
  deps.index.invalidate(ownerId);
  deps.bus.publish(LibraryChangedSubject, { ownerId });
};

/** Named identities, each private to its owner. */
export const createLibrary = (deps: FaceDeps) => ({
  async create(caller: Caller, name: string): Promise<Identity> {
    const row = await deps.repos.identities.insert({ id: randomUUID(), ownerId: caller.userId, name: name.trim() });
    await record(deps.bus, FaceEvents.identityCreated, { identityId: row.id, ownerId: caller.userId }, who(caller, row.id));
    return identityView(row);
  },

  async list(caller: Caller): Promise<{ items: Identity[]; nextCursor: null }> {
    const rows = await deps.repos.identities.list(caller.userId);
    return { items: rows.map(identityView), nextCursor: null };
  },

  async delete(caller: Caller, identityId: string): Promise<{ done: true }> {
    const ownerId = caller.userId;
    const photos = await deps.transaction(async (repos) => {
      const found = await repos.identities.find(ownerId, identityId);
      if (!found || !(await repos.identities.delete(ownerId, identityId))) throw identityNotFound();
      return found.photoCount;
    });
    libraryChanged(deps, ownerId);
    await record(deps.bus, FaceEvents.identityDeleted, { identityId, ownerId, photos }, who(caller, identityId));
    return { done: true };
  },
});
