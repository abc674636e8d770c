import { AuditEndpoints } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { AuditDomain } from '../services/index.ts';
import { requireAdmin } from '../services/queries.ts';

export const serveQueries = (kit: ServiceKit, { queries, verify }: AuditDomain): void => {
  kit.serve(AuditEndpoints.logins, ({ caller, cursor, limit }) => queries.logins(caller, cursor, limit));
  kit.serve(AuditEndpoints.latestLogin, ({ caller }) => queries.latestLogin(caller));
  kit.serve(AuditEndpoints.events, (request) => queries.events(request));
  kit.serve(AuditEndpoints.verify, async ({ caller }) => {
    requireAdmin(caller);
    return verify();
  });
};
