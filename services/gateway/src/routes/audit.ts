import { AUDIT_PAGE_MAX, AuditEndpoints, AuditPaths, AuditRoutes, EventsFilter, Problem, StoredEvent } from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import { fileStamp, ndjsonPages } from '../lib/ndjson-pages.ts';
import { registerRoute } from '../lib/route.ts';

export interface AuditRoutesOptions {
  timeoutMs: number;
}

/** Recomputing the whole chain reads every row: it gets at least this long before the gateway gives up (504). */
export const AUDIT_VERIFY_TIMEOUT_MS = 120_000;

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** API.md's Audit section (audit-log over the bus; it decides who is admin from `caller.role`) and the NDJSON export. */
export async function auditRoutes(app: FastifyInstance, opts: AuditRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const read = { timeoutMs: opts.timeoutMs, retries: 1 };
  const R = AuditRoutes;

  registerRoute(app, R.logins, async ({ caller, query }) => bus.request(AuditEndpoints.logins, { caller, ...query }, read));
  registerRoute(app, R.latestLogin, async ({ caller }) => bus.request(AuditEndpoints.latestLogin, { caller }, read));
  registerRoute(app, R.events, async ({ caller, query }) => bus.request(AuditEndpoints.events, { caller, ...query }, read));
  // Not retried: a second full walk of the chain right after one timed out would only double the load.
  registerRoute(app, R.verify, async ({ caller }) =>
    bus.request(AuditEndpoints.verify, { caller }, { timeoutMs: Math.max(opts.timeoutMs, AUDIT_VERIFY_TIMEOUT_MS) }),
  );

  app.get(
    AuditPaths.export,
    {
      schema: {
        summary:
          '(admin) Events by type, actor and time range as NDJSON, oldest first, one stored event per line; `to` defaults to the time of the request. A download that fails midway ends with a broken connection, never as a shorter complete-looking file',
        tags: ['audit'],
        querystring: EventsFilter,
        security: [{ bearer: [] }],
        produces: [NDJSON_CONTENT_TYPE],
        response: {
          200: { description: 'One StoredEvent per line', content: { [NDJSON_CONTENT_TYPE]: { schema: StoredEvent } } },
          '4xx': Problem,
          '5xx': Problem,
        },
      },
      onRequest: app.authenticate,
    },
    (req, reply) =>
      runWithContext({ requestId: req.id }, async () => {
        const caller = req.caller!;
        const { type, actor, from, to: givenTo } = req.query as EventsFilter;
        // A fixed end: the file covers a range it can name, whatever arrives while it downloads.
        const to = givenTo ?? new Date().toISOString();
        const filter = { ...(type ? { type } : {}), ...(actor ? { actor } : {}), ...(from ? { from } : {}), to };
        const page = (cursor?: string) =>
          bus.request(
            AuditEndpoints.events,
            { caller, ...filter, order: 'asc', limit: AUDIT_PAGE_MAX, ...(cursor === undefined ? {} : { cursor }) },
            read,
          );
        // Asked before any header: a non-admin or a bad range still gets its problem+json.
        const first = await page();
        const body = ndjsonPages({
          first,
          next: page,
          onFailure: (err, lines) =>
            req.log.error({ err, lines }, 'audit export: a page could not be fetched; the download is cut short'),
        });
        const name = `audit-${from ? fileStamp(from) : 'start'}-${fileStamp(to)}.ndjson`;
        return reply.type(NDJSON_CONTENT_TYPE).header('content-disposition', `attachment; filename="${name}"`).send(body);
      }),
  );
}
