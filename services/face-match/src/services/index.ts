import type { FaceDeps } from './deps.ts';
import { createEnrolment } from './enrol.ts';
import { createLibrary } from './library.ts';
import { createSearch } from './search.ts';

/** The face domain, wired once from its dependencies. */
export const createFaceDomain = (deps: FaceDeps) => ({
  library: createLibrary(deps),
  enrolment: createEnrolment(deps),
  search: createSearch(deps),
});
export type FaceDomain = ReturnType<typeof createFaceDomain>;
