import { Type } from 'typebox';
import { Caller, Page } from '../auth/schemas.ts';
import { endpoint } from '../endpoint.ts';
import { EventsFilter, LoginRecord, StoredEvent, VerifyReport } from './schemas.ts';

const Cursor = Type.Optional(Type.String({ maxLength: 200 }));

/** The largest page `audit.events.list` returns (the export pages through it; HTTP lists stop at 100). */
export const AUDIT_PAGE_MAX = 1000;

/** The audit-log service's bus API. Admin endpoints check `caller.role` themselves (ADMIN_ONLY). */
export const AuditEndpoints = {
  /** My own login attempts, newest first. */
  logins: endpoint(
    'audit.logins.list',
    Type.Object({ caller: Caller, cursor: Cursor, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
    Page(LoginRecord),
    { idempotent: true },
  ),
  /** My latest successful login; NO_LOGIN_YET when there is none. */
  latestLogin: endpoint('audit.logins.latest', Type.Object({ caller: Caller }), LoginRecord, { idempotent: true }),
  /** (admin) Events by type, actor and time range; newest first unless `order: 'asc'` (the export). */
  events: endpoint(
    'audit.events.list',
    Type.Object({
      caller: Caller,
      ...EventsFilter.properties,
      order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
      cursor: Cursor,
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX })),
    }),
    Page(StoredEvent),
    { idempotent: true },
  ),
  /** (admin) Recompute the hash chain. May take a while on a large log: callers give it a long deadline. */
  verify: endpoint('audit.verify', Type.Object({ caller: Caller }), VerifyReport, { idempotent: true }),
} as const;
