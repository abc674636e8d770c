import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { extractCode, type SmtpCapture, startSmtpCapture } from '../packages/kit/src/testing/index.ts';
import { loadAuthConfig } from '../services/auth/src/config.ts';
import { serverEnv } from './lib/env.ts';
import { type ServerProcess, startServer } from './lib/server-process.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';

/**
 * Logins need a distinct account each (or the same account from many IPs): a successful login
 * counts against no throttle (only failures do: 5 per account+IP, 20 per account, 50 per IP in
 * 15 min), so each of these accounts logs in several times over the run without tripping one.
 */
const USERS = 200;
const SETUP_CONCURRENCY = 4;
/** argon2 runs on libuv's threadpool: this many logins (and raw verifications) in flight. */
const CONNECTIONS = 2 * availableParallelism();
const WARMUP_SECONDS = 2;
const MEASURED_SECONDS = 8;
const PASSWORD = 'violet tundra marmalade sprocket 42';
const LOGIN_PATH = '/api/v1/auth/login';
const LIMIT = 'raw argon2id verify';
const CASE = `POST ${LOGIN_PATH} (gateway → in-process bus → auth)`;

interface RawFigures {
  verifiesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  verifies: number;
  hashPrefix: string;
}

/** bench/servers/argon2-rate.ts in its own process, as the stack runs in its own: one JSON line of figures. */
function measureRawVerify(params: { memoryKiB: number; timeCost: number; parallelism: number }): Promise<RawFigures> {
  const file = fileURLToPath(new URL('./servers/argon2-rate.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    env: {
      ...process.env,
      ARGON2_MEMORY_KIB: String(params.memoryKiB),
      ARGON2_TIME_COST: String(params.timeCost),
      ARGON2_PARALLELISM: String(params.parallelism),
      CONCURRENCY: String(CONNECTIONS),
      WARMUP_SECONDS: String(WARMUP_SECONDS),
      MEASURE_SECONDS: String(MEASURED_SECONDS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error('argon2-rate did not finish within 2 minutes'));
      },
      (WARMUP_SECONDS + MEASURED_SECONDS + 110) * 1000,
    );
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`argon2-rate exited (${signal ?? `code ${code}`}): ${line}`));
      try {
        resolve(JSON.parse(line) as RawFigures);
      } catch {
        reject(new Error(`argon2-rate printed no figures: ${JSON.stringify(out)}`));
      }
    });
  });
}

const post = async (url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

/** Registers and verifies (with the code mailed over SMTP) one account, as a person would. */
async function createVerifiedUser(base: string, smtp: SmtpCapture, i: number): Promise<string> {
  const name = `bench_${i}_${randomUUID().slice(0, 6)}`;
  const email = `${name}@example.test`;
  const reg = await post(`${base}/api/v1/auth/register`, { name, email, password: PASSWORD });
  if (reg.status !== 201) throw new Error(`register ${email}: ${reg.status} ${JSON.stringify(reg.json)}`);
  const mail = await smtp.waitFor((m) => m.to.includes(email), 30_000);
  smtp.messages.splice(smtp.messages.indexOf(mail), 1);
  const verified = await post(`${base}/api/v1/auth/verify-email`, { email, code: extractCode(mail) });
  if (verified.status !== 200) throw new Error(`verify ${email}: ${verified.status} ${JSON.stringify(verified.json)}`);
  return email;
}

async function createUsers(base: string, smtp: SmtpCapture): Promise<string[]> {
  const logins: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < USERS) {
      const i = next++;
      logins[i] = await createVerifiedUser(base, smtp, i);
    }
  };
  await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, worker));
  return logins;
}

interface LoadRun {
  result: autocannon.Result;
  latencies: number[];
  statuses: Map<number, number>;
}

/** `CONNECTIONS` keep-alive connections posting logins, each request the next account in turn. */
function loginLoad(base: string, logins: string[], seconds: number): Promise<LoadRun> {
  let turn = 0;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: base,
        connections: CONNECTIONS,
        duration: seconds,
        timeout: 20,
        requests: [
          {
            method: 'POST',
            path: LOGIN_PATH,
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({ login: logins[turn++ % logins.length], password: PASSWORD }),
            }),
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve({ result, latencies, statuses })),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
      if (statusCode === 200) latencies.push(responseTime);
    });
  });
}

const failuresOf = (run: LoadRun): number => run.result.errors + run.result.non2xx;

const describeFailures = (run: LoadRun): string =>
  `${run.result.errors} errors (${run.result.timeouts} timeouts), statuses ${JSON.stringify(Object.fromEntries(run.statuses))}`;

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

async function measureLogins(
  server: ServerProcess,
  smtp: SmtpCapture,
): Promise<{ row: BenchRow; users: number; setupSeconds: number }> {
  const setupStarted = Date.now();
  const logins = await createUsers(server.url, smtp);
  const setupSeconds = Math.round((Date.now() - setupStarted) / 1000);

  const probe = await post(`${server.url}${LOGIN_PATH}`, { login: logins[0], password: PASSWORD });
  if (probe.status !== 200 || probe.json.tokenType !== 'Bearer') {
    throw new Error(`login check: ${probe.status} ${JSON.stringify(probe.json)}`);
  }

  const warmup = await loginLoad(server.url, logins, WARMUP_SECONDS);
  if (failuresOf(warmup) > 0) throw new Error(`login warm-up: ${describeFailures(warmup)}`);
  const run = await loginLoad(server.url, logins, MEASURED_SECONDS);
  if (failuresOf(run) > 0) throw new Error(`login run: ${describeFailures(run)}`);
  const sorted = run.latencies.sort((a, b) => a - b);
  return {
    row: {
      case: CASE,
      figures: {
        throughput: run.result.requests.average,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        done: run.result['2xx'],
        'errors+non-2xx': failuresOf(run),
      },
    },
    users: logins.length,
    setupSeconds,
  };
}

const benchmark: Benchmark = {
  name: 'login',
  description:
    'Login throughput (logins/s on this machine) next to the raw argon2id verify rate with the same parameters and the same number in flight: the ratio shows how much the service adds over the hash itself.',
  async run() {
    const smtp = await startSmtpCapture();
    try {
      const env = serverEnv({ SMTP_URL: smtp.url });
      const config = loadAuthConfig(env);
      const params = {
        memoryKiB: config.ARGON2_MEMORY_KIB,
        timeCost: config.ARGON2_TIME_COST,
        parallelism: config.ARGON2_PARALLELISM,
      };

      console.log(`${LIMIT}: ${CONNECTIONS} in flight, ${WARMUP_SECONDS} s warm-up + ${MEASURED_SECONDS} s measured…`);
      const raw = await measureRawVerify(params);

      console.log(`${CASE}: starting the stack, creating ${USERS} verified accounts…`);
      const server = await startServer('stack.ts', env);
      let login: Awaited<ReturnType<typeof measureLogins>>;
      try {
        login = await measureLogins(server, smtp);
      } finally {
        await server.stop();
      }

      const limitRow: BenchRow = {
        case: LIMIT,
        figures: { throughput: raw.verifiesPerSec, p50: raw.p50Ms, p99: raw.p99Ms, done: raw.verifies, 'errors+non-2xx': 0 },
      };
      const rows = [limitRow, login.row];
      for (const row of rows) row.figures['× raw'] = row.figures.throughput! / raw.verifiesPerSec;
      return {
        columns: [
          { key: 'throughput', unit: 'req/s' },
          { key: 'p50', unit: 'ms' },
          { key: 'p99', unit: 'ms' },
          { key: 'done', unit: 'count' },
          { key: 'errors+non-2xx', unit: 'count' },
          { key: '× raw', unit: 'x' },
        ],
        limit: LIMIT,
        rows,
        settings: {
          argon2: `${raw.hashPrefix} (auth config defaults)`,
          'in flight': `${CONNECTIONS} (2 × ${availableParallelism()} cores; on libuv's threadpool, the same in both processes)`,
          warmup: `${WARMUP_SECONDS} s`,
          measured: `${MEASURED_SECONDS} s`,
          accounts: `${login.users}, registered and verified over HTTP with the mailed code (${login.setupSeconds} s), logged in round-robin`,
          database: 'PGlite in memory',
          processes: 'stack in one child, raw verify in another; autocannon and the SMTP capture in the runner',
        },
      };
    } finally {
      await smtp.close();
    }
  },
};

export default benchmark;
