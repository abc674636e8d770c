/**
 * Fault 3 of the cluster suite: all three NATS nodes go down together for 30 s under steady load
 * through both gateways, then come back. Right before, a burst of writes is in flight, so changes
 * commit whose audit events cannot be published: they wait in the services' outboxes. While NATS is
 * down every request must answer 503 problem+json at once (not hang until the bus deadline). After
 * it returns every process — the same process, never restarted — must reconnect by itself, requests
 * succeed again, and every acknowledged write has its audit event exactly once, the queued ones included.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROBLEM_CONTENT_TYPE, type StoredEvent } from '@parley/contracts';
import { createDatabase, type Database } from '@parley/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  AT_ONCE_MS,
  chainText,
  connectionsAt,
  countBy,
  expectNothingLost,
  pidOf,
  printFigures,
  roomWrites,
  type Sample,
  startLoad,
  startProbe,
  startTestCluster,
  startWriter,
  statusText,
  type TestCluster,
  verifiedUser,
  waitFor,
  writeBurst,
} from './support.ts';

/** The outage the issue asks for. */
const OUTAGE_MS = 30_000;
/** Load alone before the burst; load once everything answers again. */
const LOAD_BEFORE_MS = 5_000;
const LOAD_AFTER_MS = 5_000;
/** Writes sent together right before the stop; NATS goes down once this many are acknowledged. */
const BURST = 200;
const KILL_AFTER_ACKS = 20;
/** Bounded waits (deadlines of the fault, not speed targets). */
const RECONNECT_WITHIN_MS = 20_000;
/**
 * Every event in the audit log, the queued ones included, this long after NATS is back: the relays
 * retry within 5 s and the audit consumer re-pulls within seconds of JetStream's leaders being elected.
 */
const EVENTS_WITHIN_MS = 25_000;
/**
 * A gateway learns that its connection dropped a moment after the node died (the socket's end is
 * an event like any other): requests it takes in that moment are on the wire with the node. Counted
 * as in flight at the stop, not as sent during the outage.
 */
const NOTICE_MS = 250;
/** Probe requests during the outage: one every this often, alternating gateways. */
const PROBE_EVERY_MS = 250;
const PROBE_PATH = '/api/v1/users/me';

/** The schemas of the services that write events, each with its outbox table. */
const PRODUCERS = ['auth', 'media', 'chat_notify', 'face_match'] as const;

const ADMIN = `admin.${randomUUID().slice(0, 8)}@example.test`;

/** The ids of the events committed but not yet published, over every producer's outbox. */
const outboxIds = async (database: Database): Promise<string[]> => {
  const ids: string[] = [];
  for (const schema of PRODUCERS) {
    const rows = (await database.db.execute(`select envelope->>'id' as id from ${schema}.outbox`)) as unknown as {
      id: string;
    }[];
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
};

interface Answer extends Sample {
  /** Real clock of the answer, and of the request. */
  time: number;
  sentAt: number;
}

describe('fault 3: all NATS nodes down for 30 s under load, then back', () => {
  let tc: TestCluster;
  let user: Account;
  let admin: Account;
  let roomId: string;
  let database: Database;

  beforeAll(async () => {
    // One inference worker per face-match copy: this test never sends a photo, and loading the
    // models once per copy instead of once per core leaves the 2-core machine to the cluster.
    tc = await startTestCluster({ env: { ADMIN_EMAILS: ADMIN, FACE_WORKERS: '1' } });
    [user, admin] = await Promise.all([verifiedUser(tc, 'outage', 0), verifiedUser(tc, 'admin', 1, ADMIN)]);
    roomId = (await user.at(0).rooms.create({ name: 'through the outage' })).id;
    // The test's own look at the outboxes (the schema only matters for migrations, which it never runs).
    database = await createDatabase({ url: tc.databaseUrl, schema: 'chat_notify', maxConnections: 1 });
  });
  afterAll(async () => {
    await database?.close();
    // A failed test may leave NATS down: the cluster stops its processes either way.
    await Promise.all(tc?.nats.nodes.map((n) => n.start().catch(() => undefined)) ?? []);
    await tc?.close();
  });

  it('answers 503 at once while NATS is down, recovers by itself, and every queued event arrives exactly once', async () => {
    const nodes = tc.nats.nodes;
    const pids = new Map(tc.processes().map((p) => [p.id, p.pid]));
    const connectionsBefore = countBy((await Promise.all(nodes.map(connectionsAt))).flat(), (name) => name);
    for (const p of tc.processes()) {
      expect(
        [...connectionsBefore.keys()].some((name) => pidOf(name) === p.pid),
        `${p.id} is connected`,
      ).toBe(true);
    }

    const headers = { authorization: `Bearer ${user.tokens.accessToken}` };
    const load = startLoad({ urls: tc.urls, path: '/api/v1/users/me', headers, connections: 2, timeoutSeconds: 15 });
    const writerStartedAt = Date.now();
    const writer = startWriter(user, roomId, { lanes: 2, everyMs: 50 });
    await sleep(LOAD_BEFORE_MS);

    // The burst: BURST writes at once through both gateways; NATS goes down when KILL_AFTER_ACKS are
    // acknowledged, while the rest are still in the services (committing) or on the wire.
    let killedAt = 0;
    let stoppedAt = 0;
    const burstSentAt = Date.now();
    const burstWrites = await writeBurst(user, roomId, {
      count: BURST,
      faultAfterAcks: KILL_AFTER_ACKS,
      fault: async () => {
        killedAt = Date.now();
        await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
        stoppedAt = Date.now();
      },
    });
    const probe = startProbe(tc.urls, user.tokens.accessToken, { path: PROBE_PATH, everyMs: PROBE_EVERY_MS });

    // What committed but could not be published: in the outboxes now, and nothing publishes it until NATS is back.
    await sleep(1_000);
    const queued = await outboxIds(database);

    await sleep(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
    const startedAt = Date.now();
    await Promise.all(nodes.map((n) => n.start()));
    const natsUpMs = Date.now() - startedAt;
    // Every process reconnects by itself: its bus connection is back on some node.
    await waitFor(
      'every process reconnected to NATS',
      async () => {
        const now = countBy((await Promise.all(nodes.map(connectionsAt))).flat(), (name) => name);
        return [...connectionsBefore].every(([name, n]) => (now.get(name) ?? 0) >= n);
      },
      RECONNECT_WITHIN_MS,
    );
    const reconnectMs = Date.now() - startedAt;
    await waitFor(
      'every process ready again',
      async () => {
        const states = await Promise.all(
          tc.processes().map(async (p) => (await fetch(`${p.url}/readyz`, { signal: AbortSignal.timeout(2_000) })).status),
        );
        return states.every((s) => s === 200);
      },
      RECONNECT_WITHIN_MS,
      250,
    );
    const readyAt = Date.now();
    const readyMs = readyAt - startedAt;
    await sleep(LOAD_AFTER_MS);
    const probes = await probe.stop();
    const writes = await writer.stop();
    const result = await load.stop();

    const answers: Answer[] = result.samples.map((s) => ({
      ...s,
      time: result.startedAt + s.at,
      sentAt: result.startedAt + s.at - s.latencyMs,
    }));
    // Sent while NATS was down (after the stop, answered before the start).
    const downFrom = stoppedAt + NOTICE_MS;
    const duringOutage = answers.filter((s) => s.sentAt >= downFrom && s.time < startedAt);
    const probesDuringOutage = probes.filter((p) => p.sentAt >= downFrom && p.sentAt + p.latencyMs < startedAt);
    const firstSuccess = answers.filter((s) => s.time >= startedAt && s.status === 200).sort((a, b) => a.time - b.time)[0];
    const afterRecovery = answers.filter((s) => s.sentAt >= readyAt);
    const writeTime = (at: number) => writerStartedAt + at;
    const writerAcked = writes.filter((w) => w.status === 201);
    const acknowledged = [...writerAcked, ...burstWrites.filter((w) => w.status === 201)];
    // (A write's record has its start only: one started shortly before the start may meet NATS back.)
    const writesDuringOutage = writes.filter((w) => writeTime(w.at) >= downFrom && writeTime(w.at) < startedAt - 1_000);
    const writesAfterRecovery = writes.filter((w) => writeTime(w.at) >= readyAt);
    const serverErrors = [
      ...answers.map((s) => s.status),
      ...writes.map((w) => w.status),
      ...burstWrites.map((w) => w.status),
      ...probes.map((p) => p.status),
    ].filter((s) => s >= 500 && s !== 503 && s !== 504);
    // Before the kill and once every process is ready again, every read succeeds; in between only 503/504.
    const otherFailures = answers.filter(
      (s) => s.status !== 200 && (s.time < killedAt || s.sentAt >= readyAt || (s.status !== 503 && s.status !== 504)),
    );
    const recovering = answers.filter((s) => s.time >= startedAt && s.sentAt < readyAt);

    // Every acknowledged write is in the room, every message has its event once, every queued event arrived once.
    const inRoom = await roomWrites(user.at(1), roomId, [...writes, ...burstWrites]);
    const { messages } = inRoom;
    let messageEvents: StoredEvent[] = [];
    let everything: StoredEvent[] = [];
    let leftInOutbox: string[] = queued;
    const eventsMs = await waitFor(
      'every message and every queued event in the audit log',
      async () => {
        leftInOutbox = await outboxIds(database);
        everything = await admin.at(0).audit.exportEvents();
        messageEvents = everything.filter(
          (e) => e.type === 'chat.message.created' && (e.data as { roomId?: string }).roomId === roomId,
        );
        const stored = new Set(everything.map((e) => e.id));
        const ids = new Set(messageEvents.map((e) => (e.data as { messageId: string }).messageId));
        return leftInOutbox.length === 0 && queued.every((id) => stored.has(id)) && messages.every((m) => ids.has(m.id));
      },
      Math.max(1_000, startedAt + EVENTS_WITHIN_MS - Date.now()),
      500,
    )
      .then(() => Date.now() - startedAt)
      .catch(() => -1);
    const eventCounts = countBy(messageEvents, (e) => (e.data as { messageId: string }).messageId);
    const idCounts = countBy(everything, (e) => e.id);
    const lostEvents = messages.filter((m) => !eventCounts.has(m.id));
    const duplicateEvents =
      [...eventCounts.values()].reduce((n, c) => n + c - 1, 0) + [...idCounts.values()].reduce((n, c) => n + c - 1, 0);
    const strayEvents = [...eventCounts.keys()].filter((id) => !messages.some((m) => m.id === id));
    const queuedDelivered = queued.filter((id) => idCounts.get(id) === 1);
    const verify = await admin.at(0).audit.verify();
    const restarted = tc.processes().filter((p) => !p.running || p.starts !== 1 || p.pid !== pids.get(p.id));

    printFigures('fault 3: NATS down for 30 s', {
      'reads sent': result.sent,
      'reads answered 503 during the outage': duringOutage.filter((s) => s.status === 503).length,
      'reads answered otherwise during the outage': statusText(
        countBy(
          duringOutage.filter((s) => s.status !== 503),
          (s) => String(s.status),
        ),
      ),
      'reads failed in flight at the stop': answers.filter((s) => s.sentAt < downFrom && s.time >= killedAt && s.status !== 200)
        .length,
      'reads while reconnecting (start → ready)': `${recovering.length} (${statusText(countBy(recovering, (s) => String(s.status)))})`,
      'other failures': `${otherFailures.length} (${statusText(countBy(otherFailures, (s) => String(s.status)))})`,
      'reads without an answer': result.errors + result.timeouts,
      'max read latency during the outage ms': Math.max(0, ...duringOutage.map((s) => s.latencyMs)),
      'probes during the outage': `${probesDuringOutage.length} (${statusText(countBy(probesDuringOutage, (p) => `${p.status} ${p.contentType.split(';')[0]}`))})`,
      'max probe latency during the outage ms': Math.max(0, ...probesDuringOutage.map((p) => p.latencyMs)),
      'burst writes': `${BURST} (${statusText(countBy(burstWrites, (w) => String(w.status)))})`,
      'burst → NATS killed ms': killedAt - burstSentAt,
      'writer writes': `${writes.length} (${statusText(countBy(writes, (w) => String(w.status)))})`,
      'writes acknowledged': acknowledged.length,
      'queued events at the stop (outbox rows)': queued.length,
      'queued events delivered after, once': queuedDelivered.length,
      'NATS start → nodes serving ms': natsUpMs,
      'NATS start → every process reconnected ms': reconnectMs,
      'NATS start → every process ready ms': readyMs,
      'NATS start → first successful read ms': firstSuccess ? firstSuccess.time - startedAt : 'never',
      'processes restarted': restarted.length,
      'lost writes': inRoom.lost.length,
      'lost events': lostEvents.length,
      'duplicate events': duplicateEvents,
      'NATS start → every event in the audit log ms': eventsMs,
      'audit chain': chainText(verify),
    });

    // While NATS was down: every request refused with 503 problem+json, at once, none held to the bus deadline.
    expect(duringOutage.length, 'reads answered during the outage').toBeGreaterThan(100);
    expect(statusText(countBy(duringOutage, (s) => String(s.status)))).toBe(`${duringOutage.length}×503`);
    expect(Math.max(...duringOutage.map((s) => s.latencyMs)), 'slowest read during the outage ms').toBeLessThan(AT_ONCE_MS);
    expect(probesDuringOutage.length).toBeGreaterThan(OUTAGE_MS / PROBE_EVERY_MS / 4);
    for (const p of probesDuringOutage) {
      expect(p.status).toBe(503);
      expect(p.contentType).toContain(PROBLEM_CONTENT_TYPE);
      expect(p.latencyMs).toBeLessThan(AT_ONCE_MS);
    }
    expect(writesDuringOutage.length).toBeGreaterThan(0);
    expect(writesDuringOutage.every((w) => w.status === 503)).toBe(true);
    expect(result.errors + result.timeouts, 'reads without an HTTP answer').toBe(0);
    expect(serverErrors, 'answers that are 5xx other than 503/504').toEqual([]);
    // The burst left committed events behind, so the exactly-once check below has something to check.
    expect(queued.length, 'events queued in the outboxes at the stop').toBeGreaterThan(0);

    // After: the same processes, reconnected by themselves, and requests succeed again.
    expect(
      restarted.map((p) => p.id),
      'processes that died or restarted',
    ).toEqual([]);
    expect(firstSuccess, 'a successful read after NATS came back').toBeDefined();
    expect(afterRecovery.length).toBeGreaterThan(100);
    expect(statusText(countBy(afterRecovery, (s) => String(s.status)))).toBe(`${afterRecovery.length}×200`);
    expect(writesAfterRecovery.length).toBeGreaterThan(0);
    expect(writesAfterRecovery.every((w) => w.status === 201)).toBe(true);
    expect(otherFailures, 'reads that failed outside the outage').toEqual([]);

    // Exactly once: every acknowledged write stored, every message's event once, every queued event once.
    expect(eventsMs, `every event in the audit log within ${EVENTS_WITHIN_MS} ms of NATS's return`).toBeGreaterThan(0);
    expect(leftInOutbox, 'events still in the outboxes').toEqual([]);
    expect(
      queued.filter((id) => idCounts.get(id) !== 1),
      'queued events not stored exactly once',
    ).toEqual([]);
    expectNothingLost(inRoom, { lost: lostEvents, duplicates: duplicateEvents, stray: strayEvents }, verify);
  });
});
