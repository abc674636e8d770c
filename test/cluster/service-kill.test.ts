/**
 * Fault 1 of the cluster suite: `kill -9` one copy of each service in turn, under steady load through
 * both gateways. Every service has its own read load (the kill of its copy is felt by requests to
 * it) and a writer posts acknowledged messages all along. Reads are idempotent and retried once by
 * the gateway, so none may fail; a write may fail only if it was in flight at the killed copy; and
 * nothing acknowledged is lost: every acknowledged message is in its room once, with its audit event
 * once, although a chat-notify copy died mid-write and an audit-log copy died holding deliveries.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceName } from '@parley/contracts';
import { eventStreamName } from '@parley/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  BUS_TIMEOUT_MS,
  chainText,
  countBy,
  expectNothingLost,
  type LoadResult,
  messageEvents,
  printFigures,
  roomWrites,
  type Sample,
  startLoad,
  startTestCluster,
  startWriter,
  statusText,
  type TestCluster,
  verifiedUser,
  type WriteRecord,
  waitFor,
} from './support.ts';

/** Writer lanes: one write in flight per lane, so a kill can cost at most this many unacknowledged writes. */
const LANES = 2;
/**
 * What a kill -9 of one copy may cost, the issue's "stated budget":
 * - reads: none may fail. A read in flight at the killed copy is retried once on the live copy
 *   after BUS_TIMEOUT_MS; any other read goes to the live copy straight away.
 * - writes (not retried: a write is never sent twice behind the caller's back): at most the ones in
 *   flight at the kill, i.e. LANES per kill, and only as 503/504.
 * - no 500 at all, and no request left without an HTTP answer (autocannon errors or timeouts).
 */
const BUDGET = { readFailures: 0, failedWritesPerKill: LANES, serverErrors: 0, unanswered: 0 } as const;

/** Load alone before the first kill; how long a copy stays dead; load after the last restart. */
const LOAD_BEFORE_MS = 2_000;
const DEAD_FOR_MS = 4_000;
const LOAD_AFTER_MS = 2_000;
/** Clock slack when matching a failed write to the kill it was in flight at (the writer stamps a write as it starts). */
const KILL_SLACK_MS = 1_000;

/**
 * audit-log first: deliveries its killed copy held come back after the consumer's 30 s ack wait,
 * which then passes while the other services are killed.
 */
const ORDER: readonly ServiceName[] = ['audit-log', 'chat-notify', 'auth', 'media', 'face-match'];

/**
 * How long a delivery made to the other audit-log copy may take to be acknowledged: one still
 * unacknowledged after this, while copy 1 is frozen, is one copy 1 holds.
 */
const ACK_GRACE_MS = 2_000;

/** A typical authenticated read per service: the load that feels the kill of its copy. */
const READS: Record<ServiceName, string> = {
  auth: '/api/v1/users/me',
  'chat-notify': '/api/v1/rooms',
  media: '/api/v1/users/me/media',
  'face-match': '/api/v1/faces/identities',
  'audit-log': '/api/v1/audit/logins',
};

const ADMIN = `admin.${randomUUID().slice(0, 8)}@example.test`;

/** The sum of one counter (every label) in a process's /metrics. */
const metric = async (url: string, name: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name)) total += Number(line.split(' ').pop());
  }
  return total;
};

/** Bus requests a process has answered (0 until it serves). */
const handledBy = (url: string): Promise<number> => metric(url, 'parley_bus_handled_duration_seconds_count');

interface ConsumerState {
  /** Every delivery, redeliveries included. */
  deliveries: number;
  /** The last event (stream sequence) delivered. */
  delivered: number;
  /** Every event up to this one is acknowledged. */
  ackFloor: number;
  /** Deliveries not acknowledged yet. */
  pending: number;
}

/** audit-log's durable consumer as the NATS monitor shows it (its leader's view: the most deliveries). */
const auditConsumer = async (tc: TestCluster): Promise<ConsumerState> => {
  const stream = eventStreamName(tc.env.BUS_NAMESPACE as string);
  let best: ConsumerState = { deliveries: 0, delivered: 0, ackFloor: 0, pending: 0 };
  for (const node of tc.nats.nodes) {
    const jsz = (await (await fetch(`${node.monitorUrl}/jsz?consumers=true`, { signal: AbortSignal.timeout(5_000) })).json()) as {
      account_details?: {
        stream_detail?: {
          name: string;
          consumer_detail?: {
            name: string;
            delivered: { consumer_seq: number; stream_seq: number };
            ack_floor: { stream_seq: number };
            num_ack_pending: number;
          }[];
        }[];
      }[];
    };
    for (const s of (jsz.account_details ?? []).flatMap((d) => d.stream_detail ?? [])) {
      for (const c of s.name === stream ? (s.consumer_detail ?? []) : []) {
        if (c.name !== 'audit-log' || c.delivered.consumer_seq < best.deliveries) continue;
        best = {
          deliveries: c.delivered.consumer_seq,
          delivered: c.delivered.stream_seq,
          ackFloor: c.ack_floor.stream_seq,
          pending: c.num_ack_pending,
        };
      }
    }
  }
  return best;
};

/**
 * Freezes (SIGSTOP) an audit-log copy until the stream shows it holds deliveries: an event delivered
 * before the last ACK_GRACE_MS is still unacknowledged. Thawed and frozen again when it held none
 * (its pull request may have run out while frozen). A copy that commits in milliseconds is rarely
 * caught holding anything by a plain kill. Resolves with the deliveries then unacknowledged (both copies').
 */
const freezeHolding = async (tc: TestCluster, pid: number): Promise<number> => {
  const deadline = Date.now() + 20_000;
  for (;;) {
    process.kill(pid, 'SIGSTOP');
    let holding: number | undefined;
    try {
      await sleep(1_000);
      const before = await auditConsumer(tc);
      await sleep(ACK_GRACE_MS);
      const after = await auditConsumer(tc);
      if (after.ackFloor < before.delivered) holding = after.pending;
    } finally {
      if (holding === undefined) process.kill(pid, 'SIGCONT');
    }
    if (holding !== undefined) return holding;
    if (Date.now() > deadline) throw new Error('the audit-log copy was never caught holding a delivery');
    await sleep(500);
  }
};

interface Kill {
  service: ServiceName;
  id: string;
  /** How long it was frozen before the kill (audit-log only). */
  frozenMs: number;
  /** Real clock. */
  killedAt: number;
  readyAt: number;
  /** The restarted copy answered its first request over the bus. */
  servingAt: number;
  /** Until the next kill (or the end of the load): what is counted against this kill. */
  until: number;
}

interface Answer extends Sample {
  /** Real clock of the answer. */
  time: number;
  path: string;
}

describe('fault 1: kill -9 one copy of each service in turn, under load through both gateways', () => {
  let tc: TestCluster;
  let a: Account;
  let b: Account;
  let admin: Account;
  let roomId: string;
  /** audit-log's unacknowledged deliveries when its copy was killed (most held by that copy). */
  let held = 0;
  const kills: Kill[] = [];
  const loads = new Map<ServiceName, LoadResult>();
  let writes: WriteRecord[] = [];
  let writerStartedAt = 0;
  /** Stops the load and the writer, once: at the end of the fault, or in afterAll when the test died first. */
  let stopTraffic: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // One inference worker per face-match copy: this test never runs inference, and a restart that
    // loads the models once instead of once per core leaves the 2-core machine to the load.
    tc = await startTestCluster({ env: { ADMIN_EMAILS: ADMIN, FACE_WORKERS: '1' } });
    [a, b, admin] = await Promise.all([
      verifiedUser(tc, 'killa', 0),
      verifiedUser(tc, 'killb', 1),
      verifiedUser(tc, 'admin', 0, ADMIN),
    ]);
    roomId = (await a.at(0).rooms.create({ name: 'under fire', memberIds: [b.id] })).id;
  });
  afterAll(async () => {
    await stopTraffic?.();
    await tc?.close();
  });

  it('kills each service’s copy 1 and restarts it: reads never fail, writes fail only in flight, no 500', async () => {
    const headers = { authorization: `Bearer ${b.tokens.accessToken}` };
    const running = ORDER.map((service) => ({
      service,
      load: startLoad({ urls: tc.urls, path: READS[service], headers, connections: 2, timeoutSeconds: 15 }),
    }));
    writerStartedAt = Date.now();
    const writer = startWriter(a, roomId, { lanes: LANES, everyMs: 100 });
    let stopped: Promise<void> | undefined;
    stopTraffic = () => {
      stopped ??= (async () => {
        writes = await writer.stop();
        for (const { service, load } of running) loads.set(service, await load.stop());
      })();
      return stopped;
    };
    try {
      await sleep(LOAD_BEFORE_MS);
      for (const service of ORDER) {
        const copy = tc.services[service][0]!;
        // audit-log's copy dies holding deliveries, which the stream must hand to the other copy
        // after the ack wait. Its reads in flight while it is frozen wait out the bus deadline.
        let frozenMs = 0;
        if (service === 'audit-log') {
          const frozenAt = Date.now();
          held = await freezeHolding(tc, copy.pid as number);
          frozenMs = Date.now() - frozenAt;
        }
        const killedAt = Date.now();
        await copy.kill('SIGKILL');
        await sleep(DEAD_FOR_MS);
        await copy.start();
        const readyAt = Date.now();
        await waitFor(`${copy.id} answering requests again`, async () => (await handledBy(copy.url)) > 0, 20_000);
        kills.push({ service, id: copy.id, frozenMs, killedAt, readyAt, servingAt: Date.now(), until: 0 });
      }
      await sleep(LOAD_AFTER_MS);
    } finally {
      await stopTraffic();
    }
    const end = Date.now();
    kills.forEach((k, i) => {
      k.until = kills[i + 1]?.killedAt ?? end;
    });

    const answers: Answer[] = [...loads].flatMap(([service, r]) =>
      r.samples.map((s) => ({ ...s, time: r.startedAt + s.at, path: READS[service] })),
    );
    const writeTime = (w: WriteRecord) => writerStartedAt + w.at;
    const failedWrites = writes.filter((w) => w.status !== 201);
    // A failed write was in flight at a kill when it started before it, by at most one bus deadline
    // (plus slack for a loaded machine): a later one never met the killed copy.
    const killOf = (w: WriteRecord): Kill | undefined =>
      kills.find(
        (k) => writeTime(w) <= k.killedAt + KILL_SLACK_MS && writeTime(w) >= k.killedAt - BUS_TIMEOUT_MS - KILL_SLACK_MS,
      );
    const figures: Record<string, string | number> = {};
    for (const k of kills) {
      const inWindow = answers.filter((s) => s.time >= k.killedAt && s.time < k.until);
      const writesInWindow = writes.filter((w) => writeTime(w) >= k.killedAt && writeTime(w) < k.until);
      const failedReads = countBy(
        inWindow.filter((s) => s.status !== 200),
        (s) => String(s.status),
      );
      const inFlight = failedWrites.filter((w) => killOf(w) === k);
      const own = inWindow.filter((s) => s.path === READS[k.service]);
      figures[`${k.service}: killed at ms`] = k.killedAt - writerStartedAt;
      if (k.frozenMs > 0) figures[`${k.service}: frozen before the kill ms`] = k.frozenMs;
      figures[`${k.service}: requests in window`] = inWindow.length + writesInWindow.length;
      figures[`${k.service}: reads failed`] = statusText(failedReads);
      figures[`${k.service}: writes failed (in flight at the kill)`] = statusText(countBy(inFlight, (w) => String(w.status)));
      figures[`${k.service}: its reads answered while down`] = own.filter((s) => s.time < k.readyAt).length;
      figures[`${k.service}: its reads in flight at the kill (waited the bus deadline)`] = own.filter(
        (s) => s.latencyMs >= BUS_TIMEOUT_MS,
      ).length;
      figures[`${k.service}: max latency ms`] = Math.max(0, ...inWindow.map((s) => s.latencyMs));
      figures[`${k.service}: restart → ready ms`] = k.readyAt - k.killedAt - DEAD_FOR_MS;
      figures[`${k.service}: kill → serving again ms`] = k.servingAt - k.killedAt;

      // The kill was felt by load on that service, and the live copy carried it meanwhile.
      expect(
        own.filter((s) => s.time < k.readyAt).length,
        `${k.service}: reads answered while its copy was down`,
      ).toBeGreaterThan(0);
      expect(inFlight.length, `${k.service}: writes failed in flight at its kill`).toBeLessThanOrEqual(
        BUDGET.failedWritesPerKill,
      );
    }
    const unexplained = failedWrites.filter((w) => !killOf(w));

    const results = [...loads.values()];
    const sent = results.reduce((n, r) => n + r.sent, 0);
    const unanswered = results.reduce((n, r) => n + r.errors + r.timeouts, 0);
    const readFailures = answers.filter((s) => s.status !== 200);
    const serverErrors = [...answers.map((s) => s.status), ...writes.map((w) => w.status)].filter(
      (s) => s >= 500 && s !== 503 && s !== 504,
    );
    Object.assign(figures, {
      'total: reads sent': sent,
      'total: reads failed': `${readFailures.length} (${statusText(countBy(readFailures, (s) => `${s.status} ${s.path}`))})`,
      'total: reads without an answer': unanswered,
      'total: writes sent': writes.length,
      'total: writes acknowledged': writes.length - failedWrites.length,
      'total: writes failed': `${failedWrites.length} (${statusText(countBy(failedWrites, (w) => String(w.status)))})`,
      'total: writes failed, not in flight at a kill': `${unexplained.length}${unexplained.map((w) => ` (${w.status} at +${writeTime(w) - writerStartedAt} ms)`).join('')}`,
      'total: max read latency ms': Math.max(0, ...answers.map((s) => s.latencyMs)),
    });
    printFigures('fault 1: kill -9 one copy of each service (load)', figures);

    expect(
      readFailures.length,
      `reads failed: ${statusText(countBy(readFailures, (s) => `${s.status} ${s.path}`))}`,
    ).toBeLessThanOrEqual(BUDGET.readFailures);
    expect(unanswered, 'reads without an HTTP answer').toBeLessThanOrEqual(BUDGET.unanswered);
    expect(serverErrors, 'answers that are 5xx other than 503/504').toHaveLength(BUDGET.serverErrors);
    expect(
      failedWrites.every((w) => w.status === 503 || w.status === 504),
      'failed writes are 503/504',
    ).toBe(true);
    expect(unexplained.length, 'writes that failed without meeting a killed copy').toBe(0);
    // Reads were in flight at killed copies, so the gateway's retry was what kept them from failing.
    expect(answers.filter((s) => s.latencyMs >= BUS_TIMEOUT_MS).length, 'reads that waited out a killed copy').toBeGreaterThan(0);
    expect(writes.length - failedWrites.length).toBeGreaterThan(100);
    // Every process is up again, and nothing restarted behind the test's back.
    for (const p of tc.processes()) {
      expect(p.running, p.id).toBe(true);
      expect(p.starts, p.id).toBe(kills.some((k) => k.id === p.id) ? 2 : 1);
    }
  });

  it('nothing acknowledged is lost: every acknowledged message is in the room once, with its audit event once', async () => {
    expect(writes.length).toBeGreaterThan(0);
    // A client whose write failed sends it again with the same clientMessageId: stored once either way.
    const inRoom = await roomWrites(b.at(1), roomId, writes, a.at(0));
    const { messages } = inRoom;
    const acknowledged = writes.filter((w) => w.status === 201);

    // Every message's chat.message.created event, exactly once (audit-log copies redeliver and dedupe).
    const events = await messageEvents(admin, roomId, messages, 60_000);

    const authEvents = await admin.at(0).audit.exportEvents({ type: 'auth.*' });
    const has = (type: string, userId: string) =>
      authEvents.some((e) => e.type === type && (e.data as { userId?: string }).userId === userId);
    const verify = await admin.at(0).audit.verify();
    // Every delivery beyond one per event: what the killed copy held came again.
    const consumer = await auditConsumer(tc);
    const redeliveries = consumer.deliveries - consumer.delivered;
    // Shown, not asserted: a held delivery is a repeat only if its commit landed before the kill.
    const repeats = (
      await Promise.all(tc.services['audit-log'].map((c) => metric(c.url, 'parley_audit_duplicates_dropped_total')))
    ).reduce((n, c) => n + c, 0);

    printFigures('fault 1: kill -9 one copy of each service (nothing lost)', {
      'writes acknowledged': acknowledged.length,
      'writes failed, then sent again': writes.length - acknowledged.length,
      'messages in the room': messages.length,
      'lost writes': inRoom.lost.length,
      'doubled writes': inRoom.notOnce.length,
      'message events stored': events.events.length,
      'lost events': events.lost.length,
      'duplicate events': events.duplicates,
      'audit-log deliveries unacknowledged at the kill': held,
      'audit-log redeliveries': redeliveries,
      'repeats dropped by the audit log': repeats,
      'all events stored, ms into the check': events.settledMs,
      'audit chain': chainText(verify),
    });

    expectNothingLost(inRoom, events, verify);
    expect(messages).toHaveLength(writes.length);
    for (const user of [a, b]) {
      expect(has('auth.user.registered', user.id), `${user.name} registered`).toBe(true);
      expect(has('auth.login.succeeded', user.id), `${user.name} logged in`).toBe(true);
    }
    // What the killed audit-log copy held was delivered again: redelivery was exercised, not assumed.
    expect(redeliveries, 'deliveries made again after the audit-log kill').toBeGreaterThan(0);
  });
});
