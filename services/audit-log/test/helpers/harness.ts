import { randomUUID } from 'node:crypto';
import {
  AuditEndpoints,
  type Caller,
  type EventData,
  type EventDef,
  type EventEnvelope,
  type VerifyReport,
} from '@parley/contracts';
import { buildEnvelope, type EmitOptions } from '@parley/kit';
import { createTestClock, type ServiceHarness, startServiceHarness, type TestClock } from '@parley/kit/testing';
import { asc, count, type SQL, sql } from 'drizzle-orm';
import { expect, vi } from 'vitest';
import { createAuditDeps } from '../../src/app.ts';
import { type EventRow, events } from '../../src/db/schema/events.ts';
import { type AuditLogConfig, auditLogApp, loadAuditLogConfig } from '../../src/index.ts';
import { GENESIS_HASH } from '../../src/services/chain.ts';
import type { AuditDeps } from '../../src/services/deps.ts';
import { type AuditDomain, createAuditDomain } from '../../src/services/index.ts';

export interface AuditWorld extends ServiceHarness<AuditLogConfig> {
  clock: TestClock;
  /** The service's domain on its own database, for what has no endpoint (retention with a chosen cutoff). */
  domain: AuditDomain;
  deps: AuditDeps;
  admin: Caller;
  user(): Caller;
  /** An envelope as a producer's outbox relay would publish it, for a real EventDef of the contracts. */
  envelope<E extends EventDef>(
    def: E,
    data: EventData<E>,
    options?: EmitOptions & { source?: string; at?: string },
  ): EventEnvelope;
  publish(envelope: EventEnvelope, msgId?: string): Promise<EventEnvelope>;
  /** Every stored row in chain order, read straight from the table. */
  rows(): Promise<EventRow[]>;
  /** Waits until the table holds `n` rows. */
  storedCount(n: number): Promise<void>;
  /** Raw SQL on the service's database, as someone with write access could run it. */
  sql(query: SQL): Promise<unknown>;
  verify(): Promise<VerifyReport>;
  /** Empties the log back to genesis, so a test can tamper with a chain of its own. */
  reset(): Promise<void>;
}

const ADDRESS = '203.0.113.9';
const AGENT = 'Mozilla/5.0 (vitest)';

/**
 * The real audit-log service as the stack runs it: its own bus namespace (in-process, or NATS when
 * NATS_URL is set), its own database (a fresh Postgres database with DATABASE_URL, else PGlite) and
 * a clock the test moves to age rows for retention.
 */
export const startAudit = async (env: Record<string, string> = {}): Promise<AuditWorld> => {
  const clock = createTestClock();
  const harness = await startServiceHarness({
    service: 'audit-log',
    loadConfig: loadAuditLogConfig,
    env,
    // Not the result of register(): that is a thenable, which an async function would unwrap.
    register: (app, { config, shared }) => void app.register(auditLogApp, { config, shared, clock }),
  });
  const kit = harness.app.parley;
  const { db } = kit.database();
  const deps = createAuditDeps(kit, harness.config, clock);
  const domain = createAuditDomain(deps);
  const caller = (role: 'user' | 'admin'): Caller => ({
    userId: `u_${randomUUID()}`,
    sessionId: randomUUID(),
    ip: ADDRESS,
    userAgent: AGENT,
    role,
  });
  const admin = caller('admin');
  const rowCount = async () => (await db.select({ n: count() }).from(events))[0]!.n;
  return {
    ...harness,
    clock,
    deps,
    domain,
    admin,
    user: () => caller('user'),
    envelope: (def, data, { source = 'auth', at, ...options } = {}) => {
      const envelope = buildEnvelope(def, data, { ip: ADDRESS, userAgent: AGENT, requestId: randomUUID(), ...options }, source);
      return at ? { ...envelope, at } : envelope;
    },
    async publish(envelope, msgId) {
      await harness.bus.publishEnvelope(envelope, msgId ? { msgId } : {});
      return envelope;
    },
    rows: () => db.select().from(events).orderBy(asc(events.seq)),
    async storedCount(n) {
      // waitFor, not expect.poll: this also runs in beforeAll.
      await vi.waitFor(async () => expect(await rowCount()).toBe(n), { timeout: 15_000, interval: 20 });
    },
    sql: (query) => db.execute(query),
    verify: () => harness.call(AuditEndpoints.verify, { caller: admin }),
    async reset() {
      await db.execute(sql`truncate audit_log.events`);
      await db.execute(sql`delete from audit_log.checkpoints`);
      await db.execute(sql`update audit_log.chain_head set seq = 0, hash = ${GENESIS_HASH}`);
    },
  };
};

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
