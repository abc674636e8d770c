/**
 * Fault 2 of the cluster suite: `kill -9` one node of the 3-node NATS cluster under steady load
 * through both gateways, then start it again. The victim is the leader of the event stream (so
 * JetStream must elect another and the outbox relays must publish through the change), and it
 * holds client connections of the cluster's own processes (so they must fail over to another node).
 * The cluster must keep serving, every acknowledged write must be stored with its audit event
 * exactly once, and the node must rejoin and catch the stream up.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventStreamName } from '@parley/kit';
import type { NatsNode } from '@parley/stack/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  BUS_TIMEOUT_MS,
  chainText,
  connectionsAt,
  countBy,
  expectNothingLost,
  json,
  type LoadResult,
  messageEvents,
  pidOf,
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

/** Load alone before the kill; with the node dead; after the node is back and current. */
const LOAD_BEFORE_MS = 5_000;
const DEAD_FOR_MS = 10_000;
const LOAD_AFTER_MS = 3_000;
/** Bounded waits of the fault (deadlines, not speed targets). */
const RECONNECT_WITHIN_MS = 10_000;
const CATCH_UP_WITHIN_MS = 20_000;
const EVENTS_WITHIN_MS = 30_000;
const SETTLE_WITHIN_MS = 10_000;
/** Events that may be on their way while the monitor endpoints of two nodes are read one after the other. */
const IN_FLIGHT_EVENTS = 10;
/** Writer lanes: one write in flight per lane. */
const LANES = 2;
/**
 * The stated budget of a node kill:
 * - a request can only fail while a client of the dead node is reconnecting, or because its message
 *   or reply was on the dead node: every failure must be answered within the fault window (the kill,
 *   up to the last reconnect plus two bus deadlines: a read's attempt and its retry), never after;
 * - within it, reads may fail only as 503/504 and at most 2% of the reads sent (a gateway that lost
 *   its node answers 503 at once until it is back on another one, and its read retry comes 50 ms later);
 * - writes (never retried behind the caller's back) only as 503/504;
 * - never a 500, and no request left without an HTTP answer.
 */
const BUDGET = { readFailureShare: 0.02, serverErrors: 0, unanswered: 0 } as const;
/** Clock slack on a loaded 2-core machine when matching a failure to the fault window. */
const SLACK_MS = 2_000;

/** Typical authenticated reads: gateway → auth, gateway → chat-notify. */
const READS = ['/api/v1/users/me', '/api/v1/rooms'] as const;

const ADMIN = `admin.${randomUUID().slice(0, 8)}@example.test`;

interface Replica {
  name: string;
  current: boolean;
  lag?: number;
}
interface ClusterInfo {
  leader?: string;
  replicas?: Replica[];
}
interface JszConsumer {
  name: string;
  cluster?: ClusterInfo;
}
interface JszStream {
  name: string;
  cluster?: ClusterInfo;
  state: { messages: number; last_seq: number };
  consumer_detail?: JszConsumer[];
}
interface Jsz {
  account_details?: { stream_detail?: JszStream[] }[];
}

/** The stream as one node's monitor reports it (undefined when the node has no replica of it). */
const streamAt = async (node: NatsNode, name: string): Promise<JszStream | undefined> => {
  const jsz = await json<Jsz>(`${node.monitorUrl}/jsz?accounts=true&streams=true&consumers=true&config=true`);
  return (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []).find((s) => s.name === name);
};

interface Answer extends Sample {
  /** Real clock of the answer, and of the request. */
  time: number;
  sentAt: number;
}

describe('fault 2: kill -9 one NATS node under load through both gateways', () => {
  let tc: TestCluster;
  let user: Account;
  let admin: Account;
  let roomId: string;
  let stream: string;

  beforeAll(async () => {
    // One inference worker per face-match copy: this test never sends a photo, and loading the
    // models once per copy instead of once per core leaves the 2-core machine to the cluster.
    tc = await startTestCluster({ env: { ADMIN_EMAILS: ADMIN, FACE_WORKERS: '1' } });
    [user, admin] = await Promise.all([verifiedUser(tc, 'nodekill', 0), verifiedUser(tc, 'admin', 1, ADMIN)]);
    roomId = (await user.at(0).rooms.create({ name: 'while a node dies' })).id;
    stream = eventStreamName(tc.env.BUS_NAMESPACE as string);
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('keeps serving, its clients reconnect, nothing acknowledged is lost, and the node catches up', async () => {
    const nodes = tc.nats.nodes;
    // The victim: the event stream's leader, as long as it holds clients of ours (almost always: the
    // ~20 connections of the processes and their blob stores spread at random over 3 nodes); else
    // the node holding the most.
    const info = await streamAt(nodes[0] as NatsNode, stream);
    const leader = info?.cluster?.leader;
    expect(leader, `${stream} has a leader`).toBeTruthy();
    const before = await Promise.all(nodes.map(connectionsAt));
    const byLeader = nodes.findIndex((n) => n.name === leader);
    const busiest = before.reduce((best, names, i) => (names.length > (before[best]?.length ?? 0) ? i : best), 0);
    const victimIndex = (before[byLeader]?.length ?? 0) > 0 ? byLeader : busiest;
    const victim = nodes[victimIndex] as NatsNode;
    const survivors = nodes.filter((n) => n !== victim);
    const onVictim = before[victimIndex] as string[];
    const everyConnection = before.flat();
    const processesOnVictim = onVictim.map((name) => tc.processes().find((p) => p.pid === pidOf(name))?.id ?? name);
    expect(onVictim.length, 'the victim holds client connections').toBeGreaterThan(0);
    for (const p of tc.processes()) {
      expect(
        everyConnection.some((name) => pidOf(name) === p.pid),
        `${p.id} is connected`,
      ).toBe(true);
    }

    const headers = { authorization: `Bearer ${user.tokens.accessToken}` };
    const loads = READS.map((path) => startLoad({ urls: tc.urls, path, headers, connections: 2, timeoutSeconds: 15 }));
    const writerStartedAt = Date.now();
    const writer = startWriter(user, roomId, { lanes: LANES, everyMs: 50 });
    await sleep(LOAD_BEFORE_MS);

    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    // Every connection the victim held comes back on a survivor.
    const reconnectMs = await waitFor(
      `the clients of ${victim.name} reconnected to another node`,
      async () => {
        const now = countBy((await Promise.all(survivors.map(connectionsAt))).flat(), (name) => name);
        return [...countBy(everyConnection, (name) => name)].every(([name, n]) => (now.get(name) ?? 0) >= n);
      },
      RECONNECT_WITHIN_MS,
    );
    const reconnectedAt = killedAt + reconnectMs;
    const newLeader = await waitFor(
      `${stream} has a leader among the survivors`,
      async () => {
        const l = (await streamAt(survivors[0] as NatsNode, stream))?.cluster?.leader;
        return !!l && l !== victim.name;
      },
      RECONNECT_WITHIN_MS,
    ).then(async () => (await streamAt(survivors[0] as NatsNode, stream))?.cluster?.leader ?? '?');
    const electionMs = Date.now() - killedAt;
    await sleep(Math.max(0, killedAt + DEAD_FOR_MS - Date.now()));

    const restartedAt = Date.now();
    await victim.start();
    // Caught up: each leader (the stream's, every consumer's) sees both its followers current, and
    // the victim holds the stream up to where the leader is (give or take the writes of the moment).
    const catchUpMs = await waitFor(
      `${victim.name} rejoined and caught ${stream} up`,
      async () => {
        const views = await Promise.all(nodes.map((n) => streamAt(n, stream)));
        const led = (i: number, c?: ClusterInfo) => c?.leader === nodes[i]?.name;
        const current = (c?: ClusterInfo) => (c?.replicas ?? []).length === 2 && (c?.replicas ?? []).every((r) => r.current);
        const lead = views.find((v, i) => led(i, v?.cluster));
        const own = views[victimIndex];
        const consumers = new Set(views.flatMap((v) => (v?.consumer_detail ?? []).map((c) => c.name)));
        const ledConsumers = views.flatMap((v, i) => (v?.consumer_detail ?? []).filter((c) => led(i, c.cluster)));
        return (
          !!lead &&
          !!own &&
          current(lead.cluster) &&
          ledConsumers.length === consumers.size &&
          ledConsumers.every((c) => current(c.cluster)) &&
          own.state.last_seq >= lead.state.last_seq - IN_FLIGHT_EVENTS
        );
      },
      CATCH_UP_WITHIN_MS,
      250,
    );
    await sleep(LOAD_AFTER_MS);

    const writes = await writer.stop();
    const results: LoadResult[] = [];
    for (const load of loads) results.push(await load.stop());
    const endedAt = Date.now();

    // The fault window: from the kill until the last client was back, plus a read's attempt and retry.
    const windowEnd = reconnectedAt + 2 * BUS_TIMEOUT_MS + SLACK_MS;
    const answers: Answer[] = results.flatMap((r) =>
      r.samples.map((s) => ({ ...s, time: r.startedAt + s.at, sentAt: r.startedAt + s.at - s.latencyMs })),
    );
    const sent = results.reduce((n, r) => n + r.sent, 0);
    const unanswered = results.reduce((n, r) => n + r.errors + r.timeouts, 0);
    const failedReads = answers.filter((s) => s.status !== 200);
    const readsOutsideWindow = failedReads.filter((s) => s.sentAt < killedAt - SLACK_MS || s.time > windowEnd);
    const writeTime = (w: WriteRecord) => writerStartedAt + w.at;
    const failedWrites = writes.filter((w) => w.status !== 201);
    const writesOutsideWindow = failedWrites.filter(
      (w) => writeTime(w) < killedAt - BUS_TIMEOUT_MS - SLACK_MS || writeTime(w) > windowEnd,
    );
    const serverErrors = [...answers.map((s) => s.status), ...writes.map((w) => w.status)].filter(
      (s) => s >= 500 && s !== 503 && s !== 504,
    );
    const acknowledged = writes.filter((w) => w.status === 201);

    // Nothing acknowledged is lost: every acknowledged message in the room, every message with its event once.
    const inRoom = await roomWrites(user.at(1), roomId, writes);
    const events = await messageEvents(admin, roomId, inRoom.messages, EVENTS_WITHIN_MS);
    const everything = await admin.at(0).audit.exportEvents();
    const duplicateIds = [...countBy(everything, (e) => e.id)].filter(([, n]) => n > 1).map(([id]) => id);
    const verify = await admin.at(0).audit.verify();

    // The three nodes hold the same stream once it is quiet.
    let finalStates: (JszStream | undefined)[] = [];
    await waitFor(
      'every node holds the whole stream',
      async () => {
        finalStates = await Promise.all(nodes.map((n) => streamAt(n, stream)));
        return new Set(finalStates.map((s) => s?.state.last_seq)).size === 1;
      },
      SETTLE_WITHIN_MS,
      250,
    ).catch(() => -1);

    printFigures('fault 2: kill -9 one NATS node', {
      'node killed': `${victim.name} (stream leader: ${leader}; new leader: ${newLeader})`,
      'clients on it': `${onVictim.length} (${processesOnVictim.join(', ')})`,
      'reads sent': sent,
      'reads failed': `${failedReads.length} (${statusText(countBy(failedReads, (s) => String(s.status)))})`,
      'reads failed outside the fault window': readsOutsideWindow.length,
      'reads without an answer': unanswered,
      'writes sent': writes.length,
      'writes acknowledged': acknowledged.length,
      'writes failed': `${failedWrites.length} (${statusText(countBy(failedWrites, (w) => String(w.status)))})`,
      'max read latency ms': Math.max(0, ...answers.map((s) => s.latencyMs)),
      'kill → clients reconnected ms': reconnectMs,
      'kill → new stream leader ms': electionMs,
      'restart → replicas current ms': catchUpMs,
      'load ran ms': endedAt - writerStartedAt,
      'lost writes': inRoom.lost.length,
      'lost events': events.lost.length,
      'duplicate events': events.duplicates + duplicateIds.length,
      'events settled after the load ms': events.settledMs,
      'stream last seq per node': finalStates.map((s, i) => `${nodes[i]?.name}=${s?.state.last_seq ?? 'none'}`).join(' '),
      'audit chain': chainText(verify),
    });

    // The cluster kept serving: the load ran through the kill, failures stayed in the budget and the window.
    expect(answers.filter((s) => s.time > killedAt && s.time < restartedAt && s.status === 200).length).toBeGreaterThan(100);
    expect(failedReads.every((s) => s.status === 503 || s.status === 504)).toBe(true);
    expect(failedReads.length, 'reads failed').toBeLessThanOrEqual(Math.floor(sent * BUDGET.readFailureShare));
    expect(readsOutsideWindow.length, 'reads failed outside the fault window').toBe(0);
    expect(unanswered, 'reads without an HTTP answer').toBe(BUDGET.unanswered);
    expect(serverErrors, 'answers that are 5xx other than 503/504').toHaveLength(BUDGET.serverErrors);
    expect(
      failedWrites.every((w) => w.status === 503 || w.status === 504),
      'failed writes are 503/504',
    ).toBe(true);
    expect(writesOutsideWindow.length, 'writes that failed outside the fault window').toBe(0);
    expect(acknowledged.filter((w) => writeTime(w) > killedAt && writeTime(w) < restartedAt).length).toBeGreaterThan(10);
    // No process died or restarted: the NATS clients failed over by themselves.
    for (const p of tc.processes()) {
      expect(p.running, p.id).toBe(true);
      expect(p.starts, p.id).toBe(1);
    }
    // Nothing acknowledged is lost, every event once.
    expectNothingLost(inRoom, events, verify);
    expect(duplicateIds, 'event ids stored more than once').toEqual([]);
    // The restarted node holds the whole stream, like the others.
    const seqs = finalStates.map((s) => s?.state.last_seq);
    expect(new Set(seqs).size, `last seq per node: ${seqs.join(', ')}`).toBe(1);
    expect(seqs[0]).toBeGreaterThan(0);
  });
});
