import type { AuditEndpoints, Caller, EndpointRequest, LoginRecord, StoredEvent } from '@parley/contracts';
import type { EventRow } from '../db/schema/events.ts';
import { adminOnly, badRange, noLoginYet } from '../errors.ts';
import { type EventQuery, LOGIN_SUCCEEDED } from '../repositories/events.ts';
import { decodeCursor, encodeCursor, fingerprint } from './cursor.ts';
import type { AuditDeps } from './deps.ts';

/** A NATS message is at most 1 MiB: a page stops early, with a cursor, before its items pass this. */
export const PAGE_BYTES = 800_000;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type EventsRequest = EndpointRequest<typeof AuditEndpoints.events>;

const LOGINS = 'logins';
const DEFAULT_LIMIT = 20;

/** The schema's date-time format admits a leap second (…:60), which a Date cannot hold. */
const instant = (value: string | undefined, name: string): Date | undefined => {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badRange(`\`${name}\` is not a time this service can compare`);
  return date;
};

export const requireAdmin = (caller: Caller): void => {
  if (caller.role !== 'admin') throw adminOnly();
};

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export const toLoginRecord = (row: EventRow): LoginRecord => {
  const data = (row.data ?? {}) as Record<string, unknown>;
  return {
    id: row.id,
    at: row.at.toISOString(),
    ip: row.ip,
    userAgent: row.userAgent,
    method: text(data.method) ?? 'unknown',
    success: row.type === LOGIN_SUCCEEDED,
    reason: text(data.reason),
    sessionId: text(data.sessionId),
  };
};

export const toStoredEvent = (row: EventRow): StoredEvent => ({
  seq: row.seq,
  id: row.id,
  type: row.type,
  version: row.version,
  at: row.at.toISOString(),
  storedAt: row.storedAt.toISOString(),
  source: row.source,
  actor: row.actor,
  subject: row.subject,
  requestId: row.requestId,
  ip: row.ip,
  userAgent: row.userAgent,
  data: row.data,
  hash: row.hash,
});

/**
 * Fetched `limit + 1` rows in order: the page, cut short when it would pass PAGE_BYTES, and a cursor
 * after its last row whenever rows remain.
 */
const paginate = <T>(rows: EventRow[], limit: number, map: (row: EventRow) => T, query: string): Page<T> => {
  const items: T[] = [];
  let bytes = 0;
  let last: EventRow | undefined;
  for (const row of rows.slice(0, limit)) {
    const item = map(row);
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (items.length > 0 && bytes + size > PAGE_BYTES) break;
    items.push(item);
    bytes += size;
    last = row;
  }
  const more = items.length < rows.length;
  return { items, nextCursor: more && last ? encodeCursor(query, last.seq) : null };
};

const parseType = (type: string | undefined): EventQuery['type'] => {
  if (type === undefined) return undefined;
  return type.endsWith('.*') ? { prefix: type.slice(0, -1) } : { exact: type };
};

export const createQueries = ({ repo }: Pick<AuditDeps, 'repo'>) => ({
  async logins(caller: Caller, cursor: string | undefined, limit = DEFAULT_LIMIT): Promise<Page<LoginRecord>> {
    const before = cursor === undefined ? undefined : decodeCursor(cursor, LOGINS);
    const rows = await repo.logins(caller.userId, before, limit + 1);
    return paginate(rows, limit, toLoginRecord, LOGINS);
  },

  async latestLogin(caller: Caller): Promise<LoginRecord> {
    const row = await repo.latestLogin(caller.userId);
    if (!row) throw noLoginYet();
    return toLoginRecord(row);
  },

  async events(request: EventsRequest): Promise<Page<StoredEvent>> {
    requireAdmin(request.caller);
    const { type, actor } = request;
    const order = request.order ?? 'desc';
    const from = instant(request.from, 'from');
    const to = instant(request.to, 'to');
    if (from && to && from.getTime() >= to.getTime()) throw badRange('`from` must be before `to`');
    const query = fingerprint([type ?? null, actor ?? null, from?.toISOString() ?? null, to?.toISOString() ?? null, order]);
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, query);
    const limit = request.limit ?? DEFAULT_LIMIT;
    const parsedType = parseType(type);
    const rows = await repo.list({
      ...(parsedType ? { type: parsedType } : {}),
      ...(actor === undefined ? {} : { actor }),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      order,
      ...(after === undefined ? {} : { after }),
      limit: limit + 1,
    });
    return paginate(rows, limit, toStoredEvent, query);
  },
});
export type Queries = ReturnType<typeof createQueries>;
