import { Type } from 'typebox';
import { Page } from '../auth/schemas.ts';
import { route } from '../routes.ts';
import { EventsFilter, LoginRecord, StoredEvent, VerifyReport } from './schemas.ts';

const audit = ['audit'] as const;
const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};

/** API.md's Audit section. The NDJSON export is in `AuditPaths` (it streams, it has no JSON reply). */
export const AuditRoutes = {
  logins: route({
    method: 'GET',
    url: '/audit/logins',
    summary: 'My login history: successes and failures, with IP and user agent, newest first',
    tags: audit,
    query: Type.Object(ListQuery),
    status: 200,
    reply: Page(LoginRecord),
    auth: true,
  }),
  latestLogin: route({
    method: 'GET',
    url: '/audit/logins/latest',
    summary: 'My latest successful login',
    tags: audit,
    status: 200,
    reply: LoginRecord,
    auth: true,
  }),
  events: route({
    method: 'GET',
    url: '/audit/events',
    summary: '(admin) Every service’s events by type, actor and time range, newest first',
    tags: audit,
    query: Type.Object({ ...EventsFilter.properties, ...ListQuery }),
    status: 200,
    reply: Page(StoredEvent),
    auth: true,
  }),
  verify: route({
    method: 'GET',
    url: '/audit/verify',
    summary: '(admin) Recompute the hash chain; the first row that does not hold',
    tags: audit,
    status: 200,
    reply: VerifyReport,
    auth: true,
  }),
} as const;

/** Under `/api/v1`, Fastify syntax. */
export const AuditPaths = {
  /** (admin) `?type=&actor=&from=&to=` as NDJSON, oldest first, one StoredEvent per line. */
  export: '/audit/events/export',
} as const;
