/**
 * What the cluster tests share: a cluster of real processes for one test file (its own database,
 * bus namespace and SMTP capture), verified users, steady load through every gateway (autocannon),
 * a trickle of acknowledged writes to check afterwards, and figures printed the same way.
 */
import { randomUUID } from 'node:crypto';
import { createClient, ParleyApiError, type ParleyClient } from '@parley/client';
import type { Message, StoredEvent, TokenPair } from '@parley/contracts';
import { createTestDatabaseUrl, extractCode, type SmtpCapture, startSmtpCapture, type TestDatabase } from '@parley/kit/testing';
import { type Cluster, type ClusterOptions, clusterNamespace, type NatsNode, startCluster } from '@parley/stack/cluster';
import autocannon from 'autocannon';
import { expect } from 'vitest';
import { loadGatewayConfig } from '../../services/gateway/src/config.ts';

export const MACHINE_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The gateway's per-attempt bus deadline as the cluster runs it (its default, read from its config): a request
 * whose reply went down with a process or a node waits this long, and a read is then retried once.
 */
export const BUS_TIMEOUT_MS = loadGatewayConfig({}).BUS_TIMEOUT_MS;
/** Refused "at once" while something is down: long before the bus deadline, under half of it. */
export const AT_ONCE_MS = BUS_TIMEOUT_MS / 2;

export interface TestCluster extends Cluster {
  smtp: SmtpCapture;
  /** The database the services use (fresh for this file). */
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * A cluster for one test file: 3 NATS nodes, 2 gateways, 2 copies of every service, on a fresh
 * database of `serverUrl` (DATABASE_URL, else the machine's Postgres), mail to a real SMTP capture.
 */
export const startTestCluster = async (options: Partial<ClusterOptions> & { serverUrl?: string } = {}): Promise<TestCluster> => {
  const { serverUrl, ...rest } = options;
  const smtp = await startSmtpCapture();
  let database: TestDatabase | undefined;
  try {
    database = await createTestDatabaseUrl(serverUrl ?? process.env.DATABASE_URL ?? MACHINE_POSTGRES);
    const cluster = await startCluster({
      databaseUrl: database.url as string,
      namespace: clusterNamespace(),
      ...rest,
      env: { SMTP_URL: smtp.url, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', ...rest.env },
    });
    const db = database;
    return Object.assign(cluster, {
      smtp,
      databaseUrl: db.url as string,
      close: async () => {
        await cluster.stop();
        await smtp.close();
        await db.drop();
      },
    });
  } catch (err) {
    await smtp.close();
    await database?.drop();
    throw err;
  }
};

export interface Account {
  email: string;
  password: string;
  name: string;
  tokens: TokenPair;
  /** The user's id (from /users/me). */
  id: string;
  /** A client of gateway `i` with this session's token. */
  at(i: number): ParleyClient;
}

/** Registers through gateway `via` (as `email` when given) with a mailed code and confirms it: an active account with one session. */
export const verifiedUser = async (tc: TestCluster, prefix = 'u', via = 0, email?: string): Promise<Account> => {
  const tag = randomUUID()
    .replace(/[^a-f]/g, '')
    .slice(0, 10)
    .padEnd(10, 'x');
  const user = {
    name: `${prefix}_${tag}`,
    email: email ?? `${prefix}.${tag}@example.test`,
    password: `Quiet-Otter-${tag}-Lantern`,
  };
  const client = createClient({ baseUrl: tc.urls[via] as string });
  const mark = tc.smtp.messages.length;
  await client.auth.register({ ...user, verify: 'code' });
  const mail = await tc.smtp.waitFor(
    (m) => tc.smtp.messages.indexOf(m) >= mark && m.to.map((t) => t.toLowerCase()).includes(user.email),
    20_000,
  );
  const tokens = await client.auth.verifyEmail({ email: user.email, code: extractCode(mail) });
  const me = await client.withToken(tokens.accessToken).users.me();
  return {
    ...user,
    tokens,
    id: me.id,
    at: (i) => createClient({ baseUrl: tc.urls[i % tc.urls.length] as string, accessToken: tokens.accessToken }),
  };
};

export interface Sample {
  /** ms since the load started, at the answer. */
  at: number;
  status: number;
  latencyMs: number;
}

export interface LoadResult {
  sent: number;
  samples: Sample[];
  /** Requests that got no HTTP answer (connection refused/reset, client timeout). */
  errors: number;
  timeouts: number;
  byStatus: Record<number, number>;
  /** ms since the start → the real clock, to line samples up with events. */
  startedAt: number;
}

export interface Load {
  readonly startedAt: number;
  stop(): Promise<LoadResult>;
}

/**
 * Steady load from autocannon: `connections` per gateway on one path with these headers, until stopped.
 * Every answer is kept with its time, so a test can say what was answered while a fault lasted.
 */
export const startLoad = (options: {
  urls: readonly string[];
  path: string;
  headers?: Record<string, string>;
  connections?: number;
  /** A client gives up on a request after this many seconds (counted as a timeout). */
  timeoutSeconds?: number;
}): Load => {
  const startedAt = Date.now();
  const samples: Sample[] = [];
  let errors = 0;
  let timeouts = 0;
  const instances = options.urls.map((url) => {
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    // With a callback autocannon returns its instance (events, stop) rather than a promise.
    const instance = autocannon(
      {
        url: `${url}${options.path}`,
        headers: options.headers ?? {},
        connections: options.connections ?? 4,
        duration: 600,
        timeout: options.timeoutSeconds ?? 10,
      },
      () => finish(),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      samples.push({ at: Date.now() - startedAt, status: statusCode, latencyMs: responseTime });
    });
    instance.on('reqError', (err: Error & { code?: string }) => {
      if (err.code === 'ETIMEDOUT' || /timeout/i.test(err.message)) timeouts += 1;
      else errors += 1;
    });
    return { instance, done };
  });
  return {
    startedAt,
    stop: async () => {
      for (const { instance } of instances) instance.stop();
      await Promise.all(instances.map((i) => i.done));
      const byStatus: Record<number, number> = {};
      for (const s of samples) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
      return { sent: samples.length + errors + timeouts, samples, errors, timeouts, byStatus, startedAt };
    },
  };
};

/** One message post's outcome. */
export interface Write {
  clientMessageId: string;
  /** The message id when acknowledged (2xx). */
  id?: string;
  status: number;
}

export interface WriteRecord extends Write {
  /** ms after the writer started. */
  at: number;
}

export interface Writer {
  stop(): Promise<WriteRecord[]>;
}

/**
 * A trickle of acknowledged writes: messages posted to `roomId`, alternating gateways, each with a
 * `clientMessageId`, one at a time per lane. After a fault, every acknowledged one must be in the history.
 */
export const startWriter = (account: Account, roomId: string, options: { lanes?: number; everyMs?: number } = {}): Writer => {
  const records: WriteRecord[] = [];
  const started = Date.now();
  let stopping = false;
  let n = 0;
  const lane = async (k: number): Promise<void> => {
    while (!stopping) {
      const clientMessageId = randomUUID();
      const client = account.at(n++ + k);
      const record: WriteRecord = { clientMessageId, status: 0, at: Date.now() - started };
      try {
        const message = await client.rooms.post(roomId, `write ${records.length}`, clientMessageId);
        record.id = message.id;
        record.status = 201;
      } catch (err) {
        record.status = err instanceof ParleyApiError ? err.status : 0;
      }
      records.push(record);
      await new Promise((r) => setTimeout(r, options.everyMs ?? 50));
    }
  };
  const lanes = Array.from({ length: options.lanes ?? 2 }, (_, k) => lane(k));
  return {
    stop: async () => {
      stopping = true;
      await Promise.all(lanes);
      return records;
    },
  };
};

/**
 * `count` writes at once through the account's gateways, each with its clientMessageId; `fault` runs
 * once, as soon as `faultAfterAcks` of them are acknowledged (the rest still in the services or on the
 * wire), and in any case once all are answered. Resolves when both are done.
 */
export const writeBurst = async (
  account: Account,
  roomId: string,
  options: { count: number; faultAfterAcks: number; fault: () => Promise<void> },
): Promise<Write[]> => {
  let acks = 0;
  let faulting: Promise<void> | undefined;
  const fault = (): Promise<void> => {
    faulting ??= options.fault();
    return faulting;
  };
  const writes = await Promise.all(
    Array.from({ length: options.count }, async (_, i): Promise<Write> => {
      const clientMessageId = randomUUID();
      try {
        const message = await account.at(i).rooms.post(roomId, `burst ${i}`, clientMessageId);
        if (++acks >= options.faultAfterAcks) void fault();
        return { clientMessageId, status: 201, id: message.id };
      } catch (err) {
        return { clientMessageId, status: err instanceof ParleyApiError ? err.status : 0 };
      }
    }),
  );
  await fault();
  return writes;
};

/** The whole history of a room, every page. */
export const history = async (client: ParleyClient, roomId: string): Promise<Message[]> => {
  const all: Message[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.rooms.history(roomId, { limit: 100, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
};

export interface RoomWrites {
  /** The room's whole history, read after the fault (and after any resends). */
  messages: Message[];
  /** Acknowledged writes missing from the room. */
  lost: Write[];
  /** `clientMessageId: times stored` of every write that must be stored exactly once but is not. */
  notOnce: string[];
}

/**
 * What the room holds of a writer's `writes`. With `resendAs`, each failed write is first sent again
 * with its clientMessageId, as a client would after a 503/504; it must then be stored once, whether or
 * not its first try committed. Without, only the acknowledged writes must be stored once.
 */
export const roomWrites = async (
  reader: ParleyClient,
  roomId: string,
  writes: readonly Write[],
  resendAs?: ParleyClient,
): Promise<RoomWrites> => {
  const failed = writes.filter((w) => w.status !== 201);
  if (resendAs) {
    for (const w of failed) {
      const message = await resendAs.rooms.post(roomId, 'again', w.clientMessageId);
      expect(message.clientMessageId).toBe(w.clientMessageId);
    }
  }
  const messages = await history(reader, roomId);
  const messageIds = new Set(messages.map((m) => m.id));
  const byClientId = countBy(messages, (m) => m.clientMessageId ?? '');
  const acknowledged = writes.filter((w) => w.status === 201);
  return {
    messages,
    lost: acknowledged.filter((w) => !messageIds.has(w.id as string)),
    notOnce: (resendAs ? writes : acknowledged)
      .filter((w) => byClientId.get(w.clientMessageId) !== 1)
      .map((w) => `${w.clientMessageId}: ${byClientId.get(w.clientMessageId) ?? 0}`),
  };
};

/**
 * "Nothing acknowledged is lost", the same in every fault test: every acknowledged write in the room and
 * stored once, every message with exactly one audit event and no event without its message, the chain intact.
 */
export const expectNothingLost = (
  writes: RoomWrites,
  events: Pick<MessageEvents, 'lost' | 'duplicates' | 'stray'>,
  verify: { ok: boolean },
): void => {
  expect(
    writes.lost.map((w) => w.clientMessageId),
    'acknowledged writes missing from the room',
  ).toEqual([]);
  expect(writes.notOnce, 'writes not stored exactly once').toEqual([]);
  expect(
    events.lost.map((m) => m.id),
    'messages without their audit event',
  ).toEqual([]);
  expect(events.duplicates, 'message events stored more than once').toBe(0);
  expect(events.stray, 'events of messages that are not in the room').toEqual([]);
  expect(verify).toMatchObject({ ok: true });
};

export const countBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

/** `12×503, 3×504`, or `none`. */
export const statusText = (counts: Map<string, number>): string =>
  counts.size === 0 ? 'none' : [...counts].map(([status, n]) => `${n}×${status}`).join(', ');

/** A JSON GET that must answer 2xx within 3 s (NATS monitor endpoints, /metrics-like probes). */
export const json = async <T>(url: string): Promise<T> => {
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
};

/**
 * The names of the client connections a NATS node holds: each process's bus connection is named
 * after its instance (`auth@host:pid:n`); the blob stores' connections are `<namespace>-blobs`.
 */
export const connectionsAt = async (node: NatsNode): Promise<string[]> =>
  (await json<{ connections: { name?: string }[] }>(`${node.monitorUrl}/connz?limit=1024`)).connections.map((c) => c.name ?? '');

/** `auth@host:1234:1` → 1234. */
export const pidOf = (connectionName: string): number => Number(/:(\d+):\d+$/.exec(connectionName)?.[1] ?? Number.NaN);

export interface Probe {
  sentAt: number;
  status: number;
  contentType: string;
  retryAfter: string | null;
  code: string | undefined;
  latencyMs: number;
}

/** One authenticated GET of `path` every `everyMs`, alternating gateways, with what a client sees of each answer. */
export const startProbe = (urls: readonly string[], accessToken: string, options: { path: string; everyMs: number }) => {
  const probes: Probe[] = [];
  let stopping = false;
  const run = (async () => {
    for (let i = 0; !stopping; i++) {
      const sentAt = Date.now();
      try {
        const res = await fetch(`${urls[i % urls.length]}${options.path}`, {
          headers: { authorization: `Bearer ${accessToken}` },
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await res.json().catch(() => undefined)) as { code?: string } | undefined;
        probes.push({
          sentAt,
          status: res.status,
          contentType: res.headers.get('content-type') ?? '',
          retryAfter: res.headers.get('retry-after'),
          code: body?.code,
          latencyMs: Date.now() - sentAt,
        });
      } catch {
        probes.push({ sentAt, status: 0, contentType: '', retryAfter: null, code: undefined, latencyMs: Date.now() - sentAt });
      }
      await new Promise((r) => setTimeout(r, Math.max(0, sentAt + options.everyMs - Date.now())));
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await run;
      return probes;
    },
  };
};

export interface MessageEvents {
  /** The room's `chat.message.created` events in the audit log. */
  events: StoredEvent[];
  /** Messages with no event. */
  lost: Message[];
  /** Events beyond one per message. */
  duplicates: number;
  /** Events of messages that are not in the room. */
  stray: string[];
  /** ms until every message had its event, or -1 when some never did within `withinMs`. */
  settledMs: number;
}

/**
 * Every message of the room against the audit log (read by an admin): each must have exactly one
 * `chat.message.created` event. Waits up to `withinMs` for events still on their way.
 */
export const messageEvents = async (admin: Account, roomId: string, messages: readonly Message[], withinMs: number) => {
  const messageIdOf = (e: StoredEvent) => (e.data as { messageId: string }).messageId;
  let events: StoredEvent[] = [];
  const settledMs = await waitFor(
    'an audit event for every message',
    async () => {
      events = (await admin.at(0).audit.exportEvents({ type: 'chat.message.created' })).filter(
        (e) => (e.data as { roomId?: string }).roomId === roomId,
      );
      const ids = new Set(events.map(messageIdOf));
      return messages.every((m) => ids.has(m.id));
    },
    withinMs,
    500,
  ).catch(() => -1);
  const counts = countBy(events, messageIdOf);
  const messageIds = new Set(messages.map((m) => m.id));
  return {
    events,
    lost: messages.filter((m) => !counts.has(m.id)),
    duplicates: [...counts.values()].reduce((n, c) => n + c - 1, 0),
    stray: [...counts.keys()].filter((id) => !messageIds.has(id)),
    settledMs,
  } satisfies MessageEvents;
};

/** The audit chain's check as a figure. */
export const chainText = (verify: {
  ok: boolean;
  checked?: number;
  reason?: string | null;
  firstBadSeq?: number | null;
}): string => (verify.ok ? `ok (${verify.checked} rows)` : `broken: ${verify.reason} at ${verify.firstBadSeq}`);

/** Prints a fault test's figures as one block the CI log shows. */
export const printFigures = (test: string, figures: Record<string, string | number>): void => {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  const lines = Object.entries(figures).map(([k, v]) => `  ${k.padEnd(width)}  ${typeof v === 'number' ? fmt(v) : v}`);
  console.log(`\n[fault figures] ${test}\n${lines.join('\n')}\n`);
};

const fmt = (v: number): string => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1));

/** Polls until `check` holds; returns the ms it took, or throws after `withinMs`. */
export const waitFor = async (what: string, check: () => Promise<boolean>, withinMs: number, everyMs = 100): Promise<number> => {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};
