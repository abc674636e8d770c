/**
 * `pnpm cluster` itself: one command brings up 3 NATS nodes, 2 gateways and 2 copies of every
 * service; Ctrl-C (SIGINT) stops every one of those processes and the command exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabaseUrl, freePort, type TestDatabase } from '@parley/kit/testing';
import { afterAll, expect, it } from 'vitest';
import { MACHINE_POSTGRES } from './support.ts';

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A first port whose next `count - 1` are free too. */
const freeRun = async (count: number): Promise<number> => {
  for (;;) {
    const base = await freePort();
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => canListen(base + i + 1)));
    if (base + count < 65_536 && rest.every(Boolean)) return base;
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let child: ChildProcess | undefined;
let database: TestDatabase | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('pnpm cluster starts 3 NATS nodes, 2 gateways and 2 copies of every service, and Ctrl-C stops them all', async () => {
  database = await createTestDatabaseUrl(process.env.DATABASE_URL ?? MACHINE_POSTGRES);
  dataDir = await mkdtemp(join(tmpdir(), 'parley-cli-'));
  const [port, natsPort] = [await freeRun(2), await freeRun(3)];
  const script = join(import.meta.dirname, '..', '..', 'packages', 'stack', 'src', 'cluster', 'main.ts');
  child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: String(port),
      NATS_PORT: String(natsPort),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 170_000;
  while (!out.includes('Ctrl-C stops everything')) {
    if (child.exitCode !== null) throw new Error(`pnpm cluster exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`pnpm cluster did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // Every process is listed with its pid: 2 gateways + 2 × 5 services.
  const pids = [...out.matchAll(/ pid (\d+)/g)].map((m) => Number(m[1]));
  expect(pids).toHaveLength(12);
  expect(out).toContain(`http://127.0.0.1:${port} and http://127.0.0.1:${port + 1}`);
  for (const p of [port, port + 1]) {
    const ready = await fetch(`http://127.0.0.1:${p}/readyz`);
    expect(ready.status).toBe(200);
  }
  const nats = await Promise.all([0, 1, 2].map((i) => canListen(natsPort + i)));
  expect(nats, 'the three NATS nodes hold their ports').toEqual([false, false, false]);

  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(out).toContain('cluster: stopped');
  expect(pids.filter(alive), 'service processes left running').toEqual([]);
  expect(await Promise.all([0, 1, 2].map((i) => canListen(natsPort + i))), 'NATS ports released').toEqual([true, true, true]);
}, 240_000);
