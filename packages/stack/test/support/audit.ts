import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createClient, type ParleyClient } from '@parley/client';
import type { EventsFilter, StoredEvent } from '@parley/contracts';
import { freePort } from '@parley/kit/testing';
import { expect } from 'vitest';
import type { TestStack } from '../../src/testing.ts';
import { type Account, type MailStack, type NewUser, newUser, registerVerified, startMailStack } from './accounts.ts';

/** The user agent of every request these tests make as a person, to find it again in the log. */
export const USER_AGENT = 'ParleyAuditE2E/1.0 (vitest)';
/** Sent too: the gateway does not trust X-Forwarded-For, so the log must keep the peer's own address. */
export const FORWARDED_FOR = '198.51.100.7';
export const PEER_IP = '127.0.0.1';

/** Arrival in the log is asynchronous (outbox → stream → consumer): generous, polled, never slept. */
export const ARRIVAL = { timeout: 30_000, interval: 150 } as const;

export interface AuditStack extends MailStack {
  /** An account whose address is in ADMIN_EMAILS. */
  admin: Account;
  /** A client of this stack that sends USER_AGENT and X-Forwarded-For (with a token when given). */
  agent(accessToken?: string): ParleyClient;
}

/** A mail stack with one admin (ADMIN_EMAILS names it before the stack starts). */
export const startAuditStack = async (env: NodeJS.ProcessEnv = {}): Promise<AuditStack> => {
  const adminUser = newUser('admin');
  const ms = await startMailStack({ ADMIN_EMAILS: adminUser.email, ...env });
  try {
    const agent = (accessToken?: string) =>
      createClient({
        baseUrl: ms.stack.url,
        headers: { 'user-agent': USER_AGENT, 'x-forwarded-for': FORWARDED_FOR },
        ...(accessToken ? { accessToken } : {}),
      });
    const admin = await registerVerified(ms, adminUser);
    expect(admin.tokens.user.role).toBe('admin');
    return { ...ms, admin, agent };
  } catch (err) {
    await ms.close();
    throw err;
  }
};

/** Registers and verifies through the agent client: every request of the account carries USER_AGENT. */
export const registerAgent = (as: AuditStack, user: NewUser = newUser()): Promise<Account> =>
  registerVerified({ ...as, client: as.agent() }, user);

/** Every event the filter matches, newest first, paged through the API. */
export const allEvents = async (admin: ParleyClient, filter: EventsFilter = {}): Promise<StoredEvent[]> => {
  const events: StoredEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await admin.audit.events({ ...filter, limit: 100, ...(cursor ? { cursor } : {}) });
    events.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return events;
};

/** Waits until the events the filter matches satisfy `check` (polled); returns them. */
export const eventsWhen = async (
  admin: ParleyClient,
  filter: EventsFilter,
  check: (events: StoredEvent[]) => boolean,
  message = `events ${JSON.stringify(filter)}`,
): Promise<StoredEvent[]> => {
  let events: StoredEvent[] = [];
  await expect
    .poll(
      async () => {
        events = await allEvents(admin, filter);
        return check(events);
      },
      { ...ARRIVAL, message },
    )
    .toBe(true);
  return events;
};

/** The one event of `type` whose data has `key` = `value`, once it has arrived. */
export const eventFor = async (admin: ParleyClient, type: string, key: string, value: unknown): Promise<StoredEvent> => {
  const matches = (e: StoredEvent) => (e.data as Record<string, unknown>)[key] === value;
  const events = await eventsWhen(admin, { type }, (all) => all.some(matches), `${type} with ${key}=${String(value)}`);
  const found = events.filter(matches);
  expect(found, `${type} with ${key}=${String(value)}`).toHaveLength(1);
  return found[0] as StoredEvent;
};

/** Ids seen more than once. */
export const duplicateIds = (events: StoredEvent[]): string[] => {
  const seen = new Set<string>();
  return events.map((e) => e.id).filter((id) => seen.has(id) || !seen.add(id));
};

export interface NatsServer {
  url: string;
  /** Kills the server (SIGKILL: no goodbye to its clients) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store directory (nothing when it runs). */
  start(): Promise<void>;
  /** Stops it for good and removes its store. */
  close(): Promise<void>;
}

/** `nats-server` on PATH, else where Debian puts it. */
const natsServerBinary = async (): Promise<string> => {
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const path of [...onPath.map((dir) => join(dir, 'nats-server')), '/usr/sbin/nats-server']) {
    const runnable = await access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (runnable) return path;
  }
  throw new Error('This test starts its own NATS server: install nats-server (on PATH or at /usr/sbin/nats-server)');
};

/** A nats-server of the test's own (JetStream on, its store in a temp dir), so the test may kill it. */
export const startNatsServer = async (): Promise<NatsServer> => {
  const binary = await natsServerBinary();
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'parley-nats-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const proc = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let log = '';
    let ready = false;
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`nats-server exited (${code}) before it was ready:\n${log}`));
      proc.once('error', reject);
      proc.once('exit', onExit);
      // Read to the end either way: a full pipe would stall the server.
      proc.stderr?.on('data', (chunk: Buffer) => {
        if (ready) return;
        log += chunk.toString();
        if (log.includes('Server is ready')) {
          ready = true;
          proc.off('exit', onExit);
          resolve();
        }
      });
    });
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    kill,
    start,
    close: async () => {
      await kill('SIGTERM');
      await rm(storeDir, { recursive: true, force: true });
    },
  };
};

/** The services that write events, by the Postgres schema of their outbox. */
export const Producers = { auth: 'auth', media: 'media', 'chat-notify': 'chat_notify', 'face-match': 'face_match' } as const;
export type Producer = keyof typeof Producers;

/** Events committed but not yet published, over every producer's outbox. */
export const unpublished = async (stack: TestStack): Promise<number> => {
  let total = 0;
  for (const name of Object.keys(Producers) as Producer[]) {
    const app = stack.services.get(name);
    if (app) total += await app.parley.outbox().pending();
  }
  return total;
};

/** The event types waiting in one producer's outbox (read straight from its table). */
export const outboxTypes = async (stack: TestStack, name: Producer): Promise<string[]> => {
  const db = stack.services.get(name)?.parley.database().db;
  if (!db) throw new Error(`the stack has no ${name} service`);
  const result: unknown = await db.execute(`select envelope->>'type' as type from ${Producers[name]}.outbox order by seq`);
  // postgres.js gives the rows, PGlite `{ rows }`.
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { type: string }[];
  return rows.map((r) => r.type);
};
