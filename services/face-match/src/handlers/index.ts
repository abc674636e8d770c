import { FaceEndpoints, LibraryChanged, LibraryChangedSubject } from '@parley/contracts';
import type { ServiceKit, Subscription } from '@parley/kit';
import { Value } from 'typebox/value';
import type { FaceDomain } from '../services/index.ts';
import type { LibraryIndex } from '../services/library-index.ts';

/** Every bus endpoint of FaceEndpoints. */
export const serveFaces = (kit: ServiceKit, { library, enrolment, search }: FaceDomain): void => {
  kit.serve(FaceEndpoints.createIdentity, ({ caller, name }) => library.create(caller, name));
  kit.serve(FaceEndpoints.listIdentities, ({ caller }) => library.list(caller));
  kit.serve(FaceEndpoints.deleteIdentity, ({ caller, identityId }) => library.delete(caller, identityId));
  kit.serve(FaceEndpoints.addPhotos, ({ caller, identityId, photos }) => enrolment.add(caller, identityId, photos));
  kit.serve(FaceEndpoints.search, ({ caller, photo }) => search.search(caller, photo));
};

/** Every copy hears every change (no queue group) and drops that owner's index. */
export const followLibraryChanges = (kit: ServiceKit, index: LibraryIndex): Subscription =>
  kit.bus.subscribe(LibraryChangedSubject, (data) => {
    if (Value.Check(LibraryChanged, data)) index.invalidate(data.ownerId);
  });
