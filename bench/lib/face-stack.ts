import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@parley/kit/testing';
import {
  createTestDatabaseUrl,
  dropBusNamespace,
  extractCode,
  type SmtpCapture,
  startSmtpCapture,
} from '../../packages/kit/src/testing/index.ts';
import { allSettledOrThrow } from './concurrency.ts';
import { serverEnv } from './env.ts';
import { type ServiceProcess, startService } from './services.ts';

const PASSWORD = 'violet tundra marmalade sprocket 42';

export interface FaceUser {
  id: string;
  token: string;
}

/**
 * auth, chat-notify (mail), face-match and the gateway, one process each, over NATS and one fresh Postgres database.
 * The gateway streams photos into the fs scratch store under DATA_DIR and face-match reads them
 * there, so those two share one DATA_DIR (neither keeps a database in it: Postgres holds the rows).
 */
export interface FaceStack {
  gateway: ServiceProcess;
  faceMatch: ServiceProcess;
  databaseUrl: string;
  user(): Promise<FaceUser>;
  close(): Promise<void>;
}

export async function startFaceStack(opts: { nats: string; postgres: string; workers: number }): Promise<FaceStack> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    // Processes first (they hold the streams, the database and the scratch folder), then what they used.
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  };
  try {
    const smtp = await startSmtpCapture();
    cleanups.push(() => smtp.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-faces-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const database = await createTestDatabaseUrl(opts.postgres);
    cleanups.push(() => database.drop());
    const gatewayPort = await freePort();
    const env = serverEnv({
      NATS_URL: opts.nats,
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      BLOB_STORE: 'fs',
      PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
      FACE_WORKERS: String(opts.workers),
      // Deep enough that the saturation run (2× workers in flight) never meets the 503 of a full queue.
      FACE_QUEUE_MAX: String(opts.workers * 8),
    });
    cleanups.push(() => dropBusNamespace(opts.nats, env.BUS_NAMESPACE as string));
    const started = async (name: string, extra: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> => {
      const service = await startService(name, { ...env, ...extra }, 120_000);
      cleanups.push(() => service.stop());
      return service;
    };
    // Accounts need auth and chat-notify (it sends the verification mail); face-match loads its models meanwhile.
    const [, , faceMatch] = await allSettledOrThrow([
      started('auth'),
      started('chat-notify', { SMTP_URL: smtp.url }),
      started('face-match'),
    ]);
    const gateway = await started('gateway', { PORT: String(gatewayPort) });
    await ready(faceMatch!.url);
    return {
      gateway,
      faceMatch: faceMatch!,
      databaseUrl: database.url as string,
      user: () => registerUser(gateway.url, smtp),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** /readyz answers 200 once the models are loaded in every worker (healthz only says the process is alive). */
async function ready(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (res?.ok) return;
    last = res ? `${res.status} ${(await res.text()).slice(0, 300)}` : 'no answer';
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`face-match not ready within ${timeoutMs} ms: ${last}`);
}

export async function requestJson<T>(url: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const { token, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (typeof rest.body === 'string') headers.set('content-type', 'application/json');
  const res = await fetch(url, { ...rest, headers, signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${rest.method ?? 'GET'} ${new URL(url).pathname}: ${res.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : null) as T;
}

async function registerUser(gateway: string, smtp: SmtpCapture): Promise<FaceUser> {
  const name = `faces_${randomBytes(4).toString('hex')}`;
  const email = `${name}@example.test`;
  const post = (path: string, body: unknown) =>
    requestJson<{ accessToken: string; user: { id: string } }>(`${gateway}/api/v1${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
  await post('/auth/register', { name, email, password: PASSWORD, verify: 'code' });
  const mail = await smtp.waitFor((m) => m.to.includes(email), 60_000);
  const tokens = await post('/auth/verify-email', { email, code: extractCode(mail) });
  return { id: tokens.user.id, token: tokens.accessToken };
}
