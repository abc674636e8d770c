/**
 * Fault 5: kill -9 a gateway holding WebSocket clients. Each client does what an app would: keep the
 * last seq it processed and, when its socket drops, connect to the other gateway with `?since=`. It
 * must get the replay, then live events, with no gap and no duplicate, while messages keep being
 * posted through both gateways and autocannon reads through both.
 */
import { randomUUID } from 'node:crypto';
import { ParleyApiError } from '@parley/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  type Account,
  type LoadResult,
  printFigures,
  startLoad,
  startTestCluster,
  type TestCluster,
  verifiedUser,
  waitFor,
} from './support.ts';

const ON_FIRST = 12;
const ON_SECOND = 4;
const LOAD_BEFORE_MS = 5_000;
const LOAD_AFTER_MS = 10_000;
const POST_EVERY_MS = 50;
/** Bounded waits of the fault, not speed targets. */
const RECONNECT_WITHIN_MS = 30_000;
const CATCH_UP_WITHIN_MS = 20_000;

type Frame = { type: string; seq?: number; [key: string]: unknown };

interface Session {
  gateway: number;
  since: number;
  hello?: Frame;
  helloAt?: number;
  replayed?: Frame;
  closedAt?: number;
  closeCode?: number;
}

interface ResumingClient {
  readonly userId: string;
  /** Every numbered event's seq, in arrival order. */
  readonly seqs: number[];
  /** The `message.created` ids, in arrival order. */
  readonly messageIds: string[];
  /** Connections that opened, in order. */
  readonly sessions: Session[];
  readonly lastSeq: number;
  readonly gaps: number;
  readonly duplicates: number;
  /** Connection attempts that never opened. */
  readonly failedAttempts: number;
  close(): Promise<void>;
}

/**
 * A client as an app would write it: starts with `since=0` (the whole feed, so its seqs must be
 * exactly 1..latest), checks every event is `lastSeq + 1`, and when its socket drops tries the other
 * gateway with `since=lastSeq`, after a jitter (so a dead gateway's clients do not all land at once)
 * and with backoff while attempts fail.
 */
const resumingClient = async (urls: readonly string[], account: Account, first: number): Promise<ResumingClient> => {
  const seqs: number[] = [];
  const messageIds: string[] = [];
  const sessions: Session[] = [];
  let lastSeq = 0;
  let gaps = 0;
  let duplicates = 0;
  let failedAttempts = 0;
  let socket: WebSocket | undefined;
  let stopped = false;

  const onFrame = (session: Session, frame: Frame): void => {
    if (frame.type === 'hello') {
      session.hello = frame;
      session.helloAt = Date.now();
      return;
    }
    if (frame.type === 'replayed') {
      session.replayed = frame;
      return;
    }
    if (typeof frame.seq !== 'number') return;
    if (frame.seq <= lastSeq) duplicates += 1;
    else if (frame.seq > lastSeq + 1) gaps += 1;
    seqs.push(frame.seq);
    lastSeq = Math.max(lastSeq, frame.seq);
    if (frame.type === 'message.created') messageIds.push((frame.message as { id: string }).id);
  };

  const connect = (gateway: number): void => {
    const url = new URL('/api/v1/ws', (urls[gateway] as string).replace(/^http/, 'ws'));
    url.searchParams.set('token', account.tokens.accessToken);
    url.searchParams.set('since', String(lastSeq));
    const session: Session = { gateway, since: lastSeq };
    let opened = false;
    const ws = new WebSocket(url);
    socket = ws;
    ws.on('open', () => {
      opened = true;
      sessions.push(session);
    });
    ws.on('message', (data) => onFrame(session, JSON.parse(data.toString()) as Frame));
    // A refused or reset connection ends in 'close'; without a listener its error would throw.
    ws.on('error', () => {});
    ws.on('close', (code) => {
      if (stopped) return;
      let delay: number;
      if (opened) {
        session.closedAt = Date.now();
        session.closeCode = code;
        delay = Math.random() * 500;
      } else {
        failedAttempts += 1;
        delay = Math.min(2_000, 250 * 2 ** Math.min(failedAttempts, 3));
      }
      setTimeout(() => connect((gateway + 1) % urls.length), delay);
    });
  };

  connect(first);
  try {
    await waitFor(`${account.name}'s first replay`, async () => sessions[0]?.replayed !== undefined, 20_000, 20);
  } catch (err) {
    stopped = true;
    socket?.terminate();
    throw err;
  }
  return {
    userId: account.id,
    seqs,
    messageIds,
    sessions,
    get lastSeq() {
      return lastSeq;
    },
    get gaps() {
      return gaps;
    },
    get duplicates() {
      return duplicates;
    },
    get failedAttempts() {
      return failedAttempts;
    },
    close: async () => {
      stopped = true;
      const ws = socket;
      if (!ws || ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close();
      await closed;
    },
  };
};

interface Post {
  clientMessageId: string;
  id?: string;
  /** 201 acknowledged; 0 no HTTP answer (the gateway is gone). */
  status: number;
}

/** Posts to the room through one gateway, one at a time, until stopped; in order of acknowledgement. */
const startPosting = (account: Account, roomId: string, gateway: number) => {
  const client = account.at(gateway);
  const posts: Post[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const post: Post = { clientMessageId: randomUUID(), status: 0 };
      try {
        post.id = (await client.rooms.post(roomId, `via gateway ${gateway + 1} #${posts.length}`, post.clientMessageId)).id;
        post.status = 201;
      } catch (err) {
        post.status = err instanceof ParleyApiError ? err.status : 0;
      }
      posts.push(post);
      await new Promise((resolve) => setTimeout(resolve, POST_EVERY_MS));
    }
  })();
  return {
    stop: async (): Promise<Post[]> => {
      stopping = true;
      await loop;
      return posts;
    },
  };
};

/** The latest seq of a user's feed: where a connection without `since` starts. */
const latestSeq = (url: string, account: Account): Promise<number> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/ws?token=${account.tokens.accessToken}`);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'hello') {
        resolve(frame.seq as number);
        ws.close();
      }
    });
    ws.on('error', reject);
    ws.on('close', () => reject(new Error('closed before its hello')));
  });

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

const failedOf = (load: LoadResult): number => load.errors + load.timeouts + load.samples.filter((s) => s.status !== 200).length;

describe('fault: kill -9 a gateway holding WebSocket clients', () => {
  let tc: TestCluster;
  let users: Account[];
  let roomId: string;
  const clients: ResumingClient[] = [];

  beforeAll(async () => {
    // One face-match copy: this test never touches faces, and each copy loads its models into a
    // worker per core — the heaviest start of the cluster on a 2-core machine.
    tc = await startTestCluster({ copies: { 'face-match': 1 } });
    users = await Promise.all(Array.from({ length: ON_FIRST + ON_SECOND }, (_, i) => verifiedUser(tc, `ws${i}`, i % 2)));
    const [owner, ...others] = users as [Account, ...Account[]];
    roomId = (await owner.at(1).rooms.create({ name: 'gateway kill', memberIds: others.map((u) => u.id) })).id;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await tc?.close();
  });

  it('every client of the killed gateway resumes on the other one with no gap and no duplicate', async () => {
    const [first, second] = tc.urls as [string, string];
    clients.push(...(await Promise.all(users.map((u, i) => resumingClient(tc.urls, u, i < ON_FIRST ? 0 : 1)))));
    const onFirst = clients.slice(0, ON_FIRST);
    const onSecond = clients.slice(ON_FIRST);
    const [writer1, writer2] = users as [Account, Account];
    const headers = { authorization: `Bearer ${(users[2] as Account).tokens.accessToken}` };

    const loads = [first, second].map((url) => startLoad({ urls: [url], path: '/api/v1/rooms', headers, connections: 2 }));
    const posting = [startPosting(writer1, roomId, 0), startPosting(writer2, roomId, 1)];
    await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_MS));

    const killedAt = Date.now();
    await tc.gateways[0]?.kill();
    // autocannon retries a refused connection in a tight loop: a second of it says enough, and
    // leaving it running would take a core from the cluster under test.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const loadFirst = await (loads[0] as ReturnType<typeof startLoad>).stop();
    await waitFor(
      'every client of gateway 1 has its hello on gateway 2',
      async () => onFirst.every((c) => c.sessions[1]?.helloAt !== undefined),
      RECONNECT_WITHIN_MS,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + LOAD_AFTER_MS - Date.now())));
    const [posts1, posts2] = (await Promise.all(posting.map((p) => p.stop()))) as [Post[], Post[]];
    const loadSecond = await (loads[1] as ReturnType<typeof startLoad>).stop();

    // Gateway 1 comes back on its port; a connection there without `since` says where each feed stands.
    const restartedAt = Date.now();
    await tc.gateways[0]?.start();
    const restartMs = Date.now() - restartedAt;
    const latest = await Promise.all(users.map((u) => latestSeq(first, u)));
    await waitFor(
      'every client has caught up with its feed',
      async () => clients.every((c, i) => c.lastSeq >= (latest[i] as number)),
      CATCH_UP_WITHIN_MS,
    );

    const acked = [posts1, posts2].map((posts) => posts.filter((p) => p.status === 201).map((p) => p.id as string));
    const reconnectMs = onFirst.map((c) => (c.sessions[1]?.helloAt as number) - killedAt);
    const received = clients.map((c) => c.seqs.length);
    printFigures('gateway kill (WebSocket resume)', {
      'clients on gateway 1 (killed) / gateway 2': `${ON_FIRST} / ${ON_SECOND}`,
      'messages acknowledged via gateway 1 / 2': `${acked[0]?.length} / ${acked[1]?.length}`,
      'posts failed via gateway 1 / 2': `${posts1.length - (acked[0]?.length ?? 0)} / ${posts2.length - (acked[1]?.length ?? 0)}`,
      'events received per client (min / max)': `${Math.min(...received)} / ${Math.max(...received)}`,
      'events replayed after the resume (sum)': onFirst.reduce((n, c) => n + Number(c.sessions[1]?.replayed?.count ?? 0), 0),
      gaps: clients.reduce((n, c) => n + c.gaps, 0),
      duplicates: clients.reduce((n, c) => n + c.duplicates, 0),
      'reconnect, kill → hello on gateway 2 (p50 / max ms)': `${percentile(reconnectMs, 50)} / ${Math.max(...reconnectMs)}`,
      'reads via gateway 1: answered / no answer (refused, 1 s after the kill)': `${loadFirst.samples.length} / ${loadFirst.errors + loadFirst.timeouts}`,
      'reads via gateway 2: sent / failed': `${loadSecond.sent} / ${failedOf(loadSecond)}`,
      'gateway 1 restarted, ready after (ms)': restartMs,
    });

    // The surviving gateway lost nothing: every read and every post through it answered.
    expect(failedOf(loadSecond)).toBe(0);
    expect(posts2.every((p) => p.status === 201)).toBe(true);
    expect(loadFirst.samples.every((s) => s.status === 200)).toBe(true);

    for (const [i, client] of clients.entries()) {
      // Exactly the user's whole feed, in order: nothing missed, nothing twice.
      expect(client.seqs).toEqual(Array.from({ length: latest[i] as number }, (_, k) => k + 1));
      for (const session of client.sessions) {
        expect(session.hello).toMatchObject({ seq: session.since, replaying: true, reset: false });
        expect(session.replayed).toBeDefined();
      }
    }
    for (const client of onFirst) {
      expect(client.sessions.map((s) => s.gateway)).toEqual([0, 1]);
      // Dropped without a close frame: the process was gone, not shutting down (that would be 1001).
      expect(client.sessions[0]?.closeCode).toBe(1006);
    }
    for (const client of onSecond) expect(client.sessions.map((s) => s.gateway)).toEqual([1]);

    // Every acknowledged message reached every member once, in the order it was acknowledged, and
    // every member saw the room's messages in the same order.
    const order = clients[0]?.messageIds ?? [];
    for (const client of clients) {
      expect(client.messageIds).toEqual(order);
      for (const ids of acked) {
        const wanted = new Set(ids);
        expect(client.messageIds.filter((id) => wanted.has(id))).toEqual(ids);
      }
    }
    expect(new Set(order).size).toBe(order.length);
    // The resume carried events a reconnect without `since` would have skipped.
    expect(onFirst.some((c) => Number(c.sessions[1]?.replayed?.count ?? 0) > 0)).toBe(true);
  });
});
