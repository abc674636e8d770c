import { AuditEndpoints, type EventEnvelope, type VerifyReport } from '@parley/contracts';
import type { Bus, Db } from '@parley/kit';
import { chainHash, GENESIS_HASH } from '../../services/audit-log/src/services/chain.ts';
import { inParallel } from './concurrency.ts';

/** postgres.js under the kit's drizzle instance: the limit's inserts go straight to the driver. */
interface RawClient {
  unsafe(query: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

const rawClient = (db: Db): RawClient => {
  const client = (db as unknown as { $client?: RawClient }).$client;
  if (typeof client?.unsafe !== 'function') throw new Error('audit-ingest: the database is not on postgres.js');
  return client;
};

export const queryRows = (db: Db, text: string): Promise<Record<string, unknown>[]> => rawClient(db).unsafe(text);

/** Publishes every envelope to the namespace's event stream, `inFlight` awaiting their ack at once. */
export async function publishAll(bus: Bus, envelopes: EventEnvelope[], inFlight = 1_000): Promise<void> {
  await inParallel(envelopes.length, inFlight, (i) => bus.publishEnvelope(envelopes[i]!, { timeoutMs: 30_000 }));
}

export const POLL_MS = 20;

export interface IngestTiming {
  /** performance.now() when rows were first seen, and how many then. */
  firstAt: number;
  firstRows: number;
  /** performance.now() when all `expected` rows were stored. */
  doneAt: number;
}

/**
 * Polls the chain head (its seq is the number of rows stored: seq has no holes and every event is new)
 * until `expected` rows are in; a plain read, so it never waits for the writers' lock. Rejects when the
 * count stops moving for `stallMs`, or when `signal` aborts.
 */
export async function waitForRows(db: Db, expected: number, signal: AbortSignal, stallMs = 30_000): Promise<IngestTiming> {
  let first: { at: number; rows: number } | undefined;
  let last = { rows: -1, at: performance.now() };
  for (;;) {
    signal.throwIfAborted();
    const rows = await queryRows(db, 'select seq from audit_log.chain_head where id = 1').then(
      (r) => Number(r[0]?.seq ?? 0),
      () => 0, // not migrated yet
    );
    const now = performance.now();
    if (rows > 0 && !first) first = { at: now, rows };
    if (rows >= expected && first) return { firstAt: first.at, firstRows: first.rows, doneAt: now };
    if (rows !== last.rows) last = { rows, at: now };
    else if (now - last.at > stallMs)
      throw new Error(`audit-log stored ${rows} of ${expected} events, then nothing for ${stallMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Rows stored and how many commits stored them (each commit stamps its rows with one `stored_at`). */
export async function storedFigures(db: Db): Promise<{ rows: number; commits: number }> {
  const [row] = await queryRows(
    db,
    'select count(*)::int as rows, count(distinct stored_at)::int as commits from audit_log.events',
  );
  return { rows: Number(row?.rows), commits: Number(row?.commits) };
}

/** `audit.verify` over the bus, as an admin: the service recomputes the whole chain. */
export async function verifyChain(bus: Bus): Promise<{ report: VerifyReport; ms: number }> {
  const started = performance.now();
  const report = await bus.request(
    AuditEndpoints.verify,
    { caller: { userId: 'bench-admin', sessionId: 'bench', ip: null, userAgent: null, role: 'admin' } },
    { timeoutMs: 120_000 },
  );
  return { report, ms: performance.now() - started };
}

const COLUMNS =
  'seq, id, type, version, at, source, actor, subject, request_id, ip, user_agent, data, stored_at, prev_hash, hash';

/**
 * The limit: the same rows, hashed the same way (the service's own `chainHash`), into a copy of the
 * service's table (`LIKE … INCLUDING ALL`: same columns, constraints and indexes), one multi-row INSERT
 * of `batch` rows after another on one connection, each its own transaction. Values go as the service's
 * drizzle inserts send them (ISO timestamps, JSON text).
 */
export async function rawInsert(
  db: Db,
  envelopes: EventEnvelope[],
  batch: number,
): Promise<{ ms: number; rows: number; sameAsService: number }> {
  const client = rawClient(db);
  await client.unsafe('create schema if not exists audit_raw');
  await client.unsafe('drop table if exists audit_raw.events');
  await client.unsafe('create table audit_raw.events (like audit_log.events including all)');
  const started = performance.now();
  let prev = { seq: 0, hash: GENESIS_HASH };
  for (let start = 0; start < envelopes.length; start += batch) {
    const storedAt = new Date().toISOString();
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const e of envelopes.slice(start, start + batch)) {
      const fields = { ...e, seq: prev.seq + 1, at: new Date(e.at) };
      const hash = chainHash(prev.hash, fields);
      const values = [
        fields.seq,
        e.id,
        e.type,
        e.version,
        fields.at.toISOString(),
        e.source,
        e.actor,
        e.subject,
        e.requestId,
        e.ip,
        e.userAgent,
        JSON.stringify(e.data),
        storedAt,
        prev.hash,
        hash,
      ];
      tuples.push(`(${values.map((v) => `$${params.push(v)}`).join(', ')})`);
      prev = { seq: fields.seq, hash };
    }
    await client.unsafe(`insert into audit_raw.events (${COLUMNS}) values ${tuples.join(', ')}`, params);
  }
  const ms = performance.now() - started;
  const [row] = await client.unsafe('select count(*)::int as rows from audit_raw.events');
  // Rows equal to the service's in every column it took from the event (seq and hashes follow delivery order).
  const [same] = await client.unsafe(`select count(*)::int as n from audit_raw.events r join audit_log.events s on s.id = r.id
    and (s.type, s.version, s.at, s.source, s.data) = (r.type, r.version, r.at, r.source, r.data)
    and (s.actor, s.subject, s.request_id, s.ip, s.user_agent) is not distinct from (r.actor, r.subject, r.request_id, r.ip, r.user_agent)`);
  await client.unsafe('drop schema audit_raw cascade');
  return { ms, rows: Number(row?.rows), sameAsService: Number(same?.n) };
}
