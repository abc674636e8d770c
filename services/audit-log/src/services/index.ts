import type { AuditDeps } from './deps.ts';
import { createIngest } from './ingest.ts';
import { createQueries } from './queries.ts';
import { createRetention } from './retention.ts';
import { createVerifier } from './verify.ts';

export const createAuditDomain = (deps: AuditDeps) => ({
  ingest: createIngest(deps),
  queries: createQueries(deps),
  verify: createVerifier(deps),
  retention: createRetention(deps),
});
export type AuditDomain = ReturnType<typeof createAuditDomain>;
