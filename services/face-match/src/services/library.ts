import { randomUUID } from 'node:crypto';
import { type Caller, FaceEvents, type Identity, LibraryChangedSubject } from '@parley/contracts';
import { eventBy } from '@parley/kit';
import { identityNotFound } from '../errors.ts';
import type { IdentityRow } from '../repositories/identities.ts';
import type { FaceDeps } from './deps.ts';

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
    const id = randomUUID();
    const row = await deps.transaction(async (tx) => {
      const row = await tx.identities.insert({ id, ownerId: caller.userId, name: name.trim() });
      await tx.events.stage(FaceEvents.identityCreated, { identityId: id, ownerId: caller.userId }, eventBy(caller, id));
      return row;
    });
    return identityView(row);
  },

  async list(caller: Caller): Promise<{ items: Identity[]; nextCursor: null }> {
    const rows = await deps.repos.identities.list(caller.userId);
    return { items: rows.map(identityView), nextCursor: null };
  },

  async delete(caller: Caller, identityId: string): Promise<{ done: true }> {
    const ownerId = caller.userId;
    await deps.transaction(async (tx) => {
      const found = await tx.identities.find(ownerId, identityId);
      if (!found || !(await tx.identities.delete(ownerId, identityId))) throw identityNotFound();
      const data = { identityId, ownerId, photos: found.photoCount };
      await tx.events.stage(FaceEvents.identityDeleted, data, eventBy(caller, identityId));
    });
    libraryChanged(deps, ownerId);
    return { done: true };
  },
});
