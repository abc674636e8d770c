import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SystemStatus } from '@parley/contracts';
import { createTestDatabaseUrl, dropBusNamespace } from '@parley/kit/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** `pnpm start` exactly as the README says, run from the repo root as a child process. */
const pnpmStart = (env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } => {
  const pnpm = process.env.npm_execpath?.includes('pnpm') ? [process.execPath, process.env.npm_execpath] : ['pnpm'];
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['NATS_URL', 'DATABASE_URL', 'BUS_NAMESPACE', 'PORT', 'DATA_DIR'].includes(k)),
  );
  const child = spawn(pnpm[0] as string, [...pnpm.slice(1), 'start'], { cwd: root, env: { ...clean, ...env }, detached: true });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
};

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });

const waitReady = async (url: string, output: () => string, ms = 90_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`not ready within ${ms} ms:\n${output()}`);
};

/** SIGTERM to the Parley process itself (as an orchestrator sends it); pnpm then exits with its exit code. */
const stop = async (run: ReturnType<typeof pnpmStart>): Promise<number | null> => {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  const app = table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find(
      ([, pgid, ...args]) =>
        Number(pgid) === run.child.pid && args.join(' ').includes('packages/stack/src/main.ts') && args[0]?.endsWith('node'),
    );
  if (!app) throw new Error(`no Parley process under pnpm:\n${table}`);
  process.kill(Number(app[0]), 'SIGTERM');
  return run.exited;
};

const waitForFile = async (dir: string, suffix: string, ms = 10_000): Promise<string> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const name = (await readdir(dir).catch(() => [] as string[])).find((f) => f.endsWith(suffix));
    if (name) return readFile(join(dir, name), 'utf8');
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${suffix} file in ${dir} within ${ms} ms`);
};

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('pnpm start with nothing configured (embedded mode)', () => {
  it('serves the API from one process, keeps its data under DATA_DIR, and stops cleanly', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-start-'));
    dirs.push(dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;

    for (const round of [1, 2]) {
      const run = pnpmStart({ PORT: String(port), DATA_DIR: dataDir, HOST: '127.0.0.1' });
      try {
        await waitReady(url, run.output);
        expect(run.output()).toContain('embedded mode');
        for (const path of ['/healthz', '/metrics', '/openapi.json', '/docs']) {
          const res = await fetch(`${url}${path}`);
          expect(res.status, path).toBe(200);
          await res.arrayBuffer(); // read to the end, as a browser would (limitCloseWait covers clients that stop)
        }
        const missing = await fetch(`${url}/nowhere`);
        expect(missing.status).toBe(404);
        expect(missing.headers.get('content-type')).toContain('application/problem+json');
        await missing.text();
        const status = (await (await fetch(`${url}/api/v1/status`)).json()) as SystemStatus;
        expect(status.ok).toBe(true);
        expect(status.services.every((s) => s.status?.database.driver === 'pglite')).toBe(true);
        if (round === 1) {
          // With no SMTP_URL, mail lands in DATA_DIR/outbox, and its link names the port the gateway listens on.
          const register = await fetch(`${url}/api/v1/auth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              name: 'newcomer',
              email: 'newcomer@example.com',
              password: 'correct horse battery staple',
              verify: 'link',
            }),
          });
          expect(register.status).toBe(201);
          const mail = await waitForFile(join(dataDir, 'outbox'), '.eml');
          expect(mail).toContain('To: newcomer@example.com');
          expect(mail.replace(/=\r?\n/g, '')).toContain(`http://localhost:${port}/api/v1/auth/verify-email?token=3D`);
        }
      } finally {
        const code = await stop(run);
        expect(code, `round ${round} exit code; its output:\n${run.output()}`).toBe(0);
      }
    }
    // The second start reopened the same database: the migrations ran once and the data stayed on disk.
    expect(await readdir(join(dataDir, 'db'))).toContain('PG_VERSION');
  }, 180_000);
});

describe('pnpm start with bad configuration', () => {
  it('stops with one clear message naming every bad variable', async () => {
    const run = pnpmStart({ PORT: 'abc', DATABASE_URL: 'mysql://db.example/x', LOG_LEVEL: 'loud' });
    expect(await run.exited).toBe(1);
    const out = run.output();
    expect(out).toContain('Invalid configuration');
    expect(out).toMatch(/PORT: .*"abc"/);
    expect(out).toMatch(/DATABASE_URL: .*postgres/);
    expect(out).toMatch(/LOG_LEVEL: /);
    expect(out).not.toMatch(/^\s+at /m);
  }, 60_000);
});

describe('pnpm start with NATS_URL but no DATABASE_URL', () => {
  it('refuses: separate processes cannot share one PGlite folder', async () => {
    const run = pnpmStart({ NATS_URL: 'nats://127.0.0.1:4222' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/DATABASE_URL: required with NATS_URL/);
  }, 60_000);
});

const distributed = process.env.NATS_URL && process.env.DATABASE_URL ? ['NATS + Postgres'] : [];
describe.each(distributed)('pnpm start with %s configured (distributed mode)', () => {
  it('runs each service as its own process on the shared bus and database', async () => {
    const db = await createTestDatabaseUrl();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const namespace = `t${Math.random().toString(36).slice(2, 10)}`;
    const run = pnpmStart({
      PORT: String(port),
      HOST: '127.0.0.1',
      NATS_URL: process.env.NATS_URL,
      DATABASE_URL: db.url,
      BUS_NAMESPACE: namespace,
      LOG_LEVEL: 'warn',
    });
    try {
      await waitReady(url, run.output);
      const status = (await (await fetch(`${url}/api/v1/status`)).json()) as SystemStatus;
      const pids = new Set(status.services.map((s) => s.status?.instance.split(':')[1]));
      expect(status.ok).toBe(true);
      expect(pids.size).toBe(5);
      expect(status.services[0]?.status?.transport).toBe('nats');
    } finally {
      expect(await stop(run)).toBe(0);
      await db.drop();
      await dropBusNamespace(process.env.NATS_URL, namespace);
    }
  }, 180_000);
});
