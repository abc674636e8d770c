import { randomBytes } from 'node:crypto';
import {
  createTestDatabaseUrl,
  dropBusNamespace,
  extractCode,
  type SmtpCapture,
  startSmtpCapture,
} from '../../packages/kit/src/testing/index.ts';
import { allSettledOrThrow, inParallel } from './concurrency.ts';
import { serverEnv } from './env.ts';
import { type ServiceProcess, startService } from './services.ts';

const PASSWORD = 'violet tundra marmalade sprocket 42';

export interface ChatUser {
  id: string;
  accessToken: string;
}

/** auth, chat-notify and several gateways, each its own process, over one NATS namespace and one fresh database. */
export interface ChatStack {
  /** The fresh database's name (to find its Postgres backends). */
  database: string;
  auth: ServiceProcess;
  /** The first chat-notify copy. */
  chatNotify: ServiceProcess;
  /** Every chat-notify copy running, the first included. */
  copies: ServiceProcess[];
  gateways: ServiceProcess[];
  smtp: SmtpCapture;
  /** Starts one more chat-notify copy or gateway (added to `copies` / `gateways`); `close` stops it. */
  start(name: 'chat-notify' | 'gateway'): Promise<ServiceProcess>;
  close(): Promise<void>;
}

export async function startChatStack(opts: { nats: string; postgres: string; gateways: number }): Promise<ChatStack> {
  const smtp = await startSmtpCapture();
  const cleanups: (() => Promise<void>)[] = [() => smtp.close()];
  const close = async (): Promise<void> => {
    // Processes first (they hold the streams and the database), then what they used.
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  };
  try {
    const database = await createTestDatabaseUrl(process.env.DATABASE_URL || opts.postgres);
    cleanups.push(() => database.drop());
    const env = serverEnv({ NATS_URL: opts.nats, DATABASE_URL: database.url });
    cleanups.push(() => dropBusNamespace(opts.nats, env.BUS_NAMESPACE as string));
    const copies: ServiceProcess[] = [];
    const gateways: ServiceProcess[] = [];
    const started = async (name: string, extra: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> => {
      const service = await startService(name, { ...env, ...extra });
      cleanups.push(() => service.stop());
      return service;
    };
    const start = async (name: 'chat-notify' | 'gateway'): Promise<ServiceProcess> => {
      const service = await started(name, name === 'chat-notify' ? { SMTP_URL: smtp.url } : {});
      (name === 'gateway' ? gateways : copies).push(service);
      return service;
    };
    // The gateway fetches auth's signing keys as it boots: auth first.
    const [auth, chatNotify] = await allSettledOrThrow([started('auth'), start('chat-notify')]);
    await allSettledOrThrow(Array.from({ length: opts.gateways }, () => start('gateway')));
    const name = new URL(database.url as string).pathname.slice(1);
    return { database: name, auth: auth!, chatNotify: chatNotify!, copies, gateways, smtp, start, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function postJson<T>(url: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${new URL(url).pathname}: ${res.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Letters only: a digit run in a name could pass for the 6-digit code in the mail that quotes it. */
const letters = (n: number): string => [...randomBytes(n)].map((b) => String.fromCharCode(97 + (b % 26))).join('');

/** Registers and verifies one account with the code mailed over SMTP, as a person would. */
export async function createUser(gateway: string, smtp: SmtpCapture): Promise<ChatUser> {
  const name = `fan_${letters(10)}`;
  const email = `${name}@example.test`;
  await postJson(`${gateway}/api/v1/auth/register`, { name, email, password: PASSWORD, verify: 'code' });
  const mail = await smtp.waitFor((m) => m.to.includes(email), 60_000);
  smtp.messages.splice(smtp.messages.indexOf(mail), 1);
  const tokens = await postJson<{ accessToken: string; user: { id: string } }>(`${gateway}/api/v1/auth/verify-email`, {
    email,
    code: extractCode(mail),
  });
  return { id: tokens.user.id, accessToken: tokens.accessToken };
}

/** `count` new accounts, `then` run on each as soon as it exists (e.g. adding it to a room while others register). */
export const createUsers = (
  stack: ChatStack,
  count: number,
  concurrency: number,
  then: (user: ChatUser) => Promise<unknown> = async () => {},
): Promise<ChatUser[]> =>
  inParallel(count, concurrency, async (i) => {
    const user = await createUser(stack.gateways[i % stack.gateways.length]!.url, stack.smtp);
    await then(user);
    return user;
  });

/**
 * One room holding `count` users, the first its owner: created with the next `initial` as `memberIds`,
 * the rest added one by one as they register (each addition is pushed to everyone already in it).
 */
export async function usersInOneRoom(
  stack: ChatStack,
  count: number,
  initial: number,
  concurrency: number,
): Promise<{ users: ChatUser[]; roomId: string }> {
  const gateway = stack.gateways[0]!.url;
  const first = await createUsers(stack, Math.min(count, initial + 1), concurrency);
  const [owner, ...members] = first;
  if (!owner) throw new Error('usersInOneRoom: no users');
  const room = await postJson<{ id: string }>(
    `${gateway}/api/v1/rooms`,
    { name: 'fan-out', memberIds: members.map((u) => u.id) },
    owner.accessToken,
  );
  const add = (user: ChatUser) => postJson(`${gateway}/api/v1/rooms/${room.id}/members`, { userId: user.id }, owner.accessToken);
  const rest = await createUsers(stack, count - first.length, concurrency, add);
  return { users: [...first, ...rest], roomId: room.id };
}
