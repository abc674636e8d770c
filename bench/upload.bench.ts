import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@parley/kit/testing';
import { dropBlobBucket, dropBusNamespace, extractCode, startSmtpCapture } from '../packages/kit/src/testing/index.ts';
import { serverEnv } from './lib/env.ts';
import { probeNats } from './lib/nats.ts';
import { type RssSampler, type ServiceProcess, sampleRss, startService } from './lib/services.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
const RUNS = 3;
const LIMIT = 'raw write to the same disk (createWriteStream + fsync)';
const DEFAULT_NATS = 'nats://127.0.0.1:4222';
/** One buffer of random bytes, sent over and over: the client itself holds 1 MiB whatever the size. */
const CHUNK = randomBytes(MiB);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Writes `size` bytes the way the fs blob store does (one file, fsynced before close): the ceiling of any upload. */
async function rawWrite(dir: string, size: number): Promise<number> {
  const file = join(dir, `raw-${randomBytes(4).toString('hex')}`);
  const started = performance.now();
  const out = createWriteStream(file, { flush: true });
  for (let sent = 0; sent < size; sent += CHUNK.length) {
    if (!out.write(CHUNK.subarray(0, Math.min(CHUNK.length, size - sent)))) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  // 'close' comes after the flush option's fsync and the close of the file: then the bytes are on disk.
  const closed = new Promise<void>((resolve, reject) => {
    out.once('close', () => resolve());
    out.once('error', reject);
  });
  out.end();
  await closed;
  const seconds = (performance.now() - started) / 1000;
  await rm(file, { force: true });
  return size / MiB / seconds;
}

/** A multipart upload streamed chunk by chunk with backpressure; resolves with MiB/s once the gateway answers 201. */
function upload(gateway: string, token: string, size: number, seed: number): Promise<number> {
  const boundary = `bench-${seed}-${randomBytes(6).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nfile\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\n\r\n`,
  );
  // Distinct first bytes per run, so no run is a duplicate of another (the store would still write it, but say so).
  const first = Buffer.concat([Buffer.from(`run ${seed} ${boundary}\n`), CHUNK]).subarray(0, CHUNK.length);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(`${gateway}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => {
        const body = JSON.parse(text) as { size?: number };
        if (res.statusCode !== 201 || body.size !== size) return reject(new Error(`upload: ${res.statusCode} ${text}`));
        resolve(size / MiB / ((performance.now() - started) / 1000));
      });
    });
    void (async () => {
      req.write(head);
      for (let sent = 0; sent < size; sent += CHUNK.length) {
        const chunk = (sent === 0 ? first : CHUNK).subarray(0, Math.min(CHUNK.length, size - sent));
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end(`\r\n--${boundary}--\r\n`);
    })().catch(reject);
  });
}

const postJson = async (url: string, body: unknown): Promise<Record<string, unknown>> => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};

interface Stack {
  gateway: ServiceProcess;
  media: ServiceProcess;
  token: string;
  close(): Promise<void>;
}

/**
 * auth, media and the gateway as three processes over NATS, each with PGlite of its own. The gateway
 * has no database, so it shares the media service's DATA_DIR: with the fs driver both must see the
 * same `DATA_DIR/blobs`, and only media opens `DATA_DIR/db` (one PGlite directory, one process).
 */
async function startDistributed(nats: string, driver: 'fs' | 'nats'): Promise<Stack> {
  const smtp = await startSmtpCapture();
  const mediaDir = await mkdtemp(join(tmpdir(), 'parley-bench-media-'));
  const authDir = await mkdtemp(join(tmpdir(), 'parley-bench-auth-'));
  const base = serverEnv({ NATS_URL: nats, BLOB_STORE: driver, UPLOAD_LIMIT_FILE_BYTES: String(SIZE + MiB) });
  const started: ServiceProcess[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.stop()));
    await smtp.close();
    await dropBusNamespace(nats, base.BUS_NAMESPACE as string);
    await dropBlobBucket(nats, base.BUS_NAMESPACE as string);
    await Promise.all([rm(mediaDir, { recursive: true, force: true }), rm(authDir, { recursive: true, force: true })]);
  };
  try {
    const gatewayPort = await freePort();
    const publicUrl = `http://127.0.0.1:${gatewayPort}`;
    const env = { ...base, PUBLIC_URL: publicUrl };
    started.push(await startService('auth', { ...env, DATA_DIR: authDir, SMTP_URL: smtp.url }));
    const media = await startService('media', { ...env, DATA_DIR: mediaDir });
    started.push(media);
    const gateway = await startService('gateway', { ...env, DATA_DIR: mediaDir, PORT: String(gatewayPort) });
    started.push(gateway);

    const email = `bench.${randomBytes(4).toString('hex')}@example.test`;
    const password = 'violet tundra marmalade sprocket 42';
    await postJson(`${gateway.url}/api/v1/auth/register`, { name: `bench_${randomBytes(3).toString('hex')}`, email, password });
    const mail = await smtp.waitFor((m) => m.to.includes(email), 30_000);
    const tokens = await postJson(`${gateway.url}/api/v1/auth/verify-email`, { email, code: extractCode(mail) });
    return { gateway, media, token: tokens.accessToken as string, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function measureDriver(nats: string, driver: 'fs' | 'nats', raw: number): Promise<BenchRow> {
  const stack = await startDistributed(nats, driver);
  let sampler: RssSampler | undefined;
  try {
    await upload(stack.gateway.url, stack.token, 8 * MiB, 0); // warm-up: first-use compilation and buffers
    sampler = sampleRss([stack.gateway.pid, stack.media.pid]);
    const speeds: number[] = [];
    for (let run = 1; run <= RUNS; run++) speeds.push(await upload(stack.gateway.url, stack.token, SIZE, run));
    const [gateway, media] = sampler.stop();
    const mibps = median(speeds);
    return {
      case: `POST /api/v1/media → gateway → ${driver} blob store`,
      figures: {
        'MiB/s': mibps,
        '× raw': mibps / raw,
        'gateway peak RSS MiB': gateway!.peakMiB,
        'gateway RSS growth MiB': gateway!.growthMiB,
        'media peak RSS MiB': media!.peakMiB,
        'media RSS growth MiB': media!.growthMiB,
      },
    };
  } finally {
    sampler?.stop();
    await stack.close();
  }
}

const benchmark: Benchmark = {
  name: 'upload',
  description:
    'Upload throughput (MiB/s for a 200 MiB file streamed through the gateway into each blob driver) beside the raw speed of writing the same bytes to the same disk, and the peak RSS of the gateway and media processes during it.',
  async run() {
    const natsUrl = process.env.NATS_URL || DEFAULT_NATS;
    const nats = await probeNats(natsUrl);
    const dir = await mkdtemp(join(tmpdir(), 'parley-bench-raw-'));
    const rows: BenchRow[] = [];
    try {
      console.log(`${LIMIT}: ${RUNS} × ${SIZE / MiB} MiB…`);
      const rawSpeeds: number[] = [];
      for (let run = 0; run < RUNS; run++) rawSpeeds.push(await rawWrite(dir, SIZE));
      const raw = median(rawSpeeds);
      rows.push({ case: LIMIT, figures: { 'MiB/s': raw, '× raw': 1 } });
      for (const driver of ['fs', 'nats'] as const) {
        const name = `POST /api/v1/media → gateway → ${driver} blob store`;
        if (!nats.ok) {
          console.log(`${name}: NOT RUN — ${nats.reason}`);
          rows.push({
            case: name,
            figures: {},
            skipped: `${nats.reason} (gateway and media run as their own processes over NATS)`,
          });
          continue;
        }
        console.log(`${name}: auth, media and gateway as processes, warm-up + ${RUNS} × ${SIZE / MiB} MiB…`);
        rows.push(await measureDriver(natsUrl, driver, raw));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return {
      columns: [
        { key: 'MiB/s', unit: 'count' },
        { key: '× raw', unit: 'x' },
        { key: 'gateway peak RSS MiB', unit: 'count' },
        { key: 'gateway RSS growth MiB', unit: 'count' },
        { key: 'media peak RSS MiB', unit: 'count' },
        { key: 'media RSS growth MiB', unit: 'count' },
      ],
      limit: LIMIT,
      rows,
      settings: {
        file: `${SIZE / MiB} MiB of random bytes, kind file, multipart streamed with backpressure from the runner; median of ${RUNS} runs after an 8 MiB warm-up`,
        'raw write': `fs.createWriteStream with flush (fsync before close) in ${tmpdir()}, as the fs driver fsyncs each blob`,
        'fs driver': `DATA_DIR/blobs in ${tmpdir()} (the same disk as the raw write)`,
        'nats driver': `JetStream Object Store on ${natsUrl} (file storage, 1 replica; the server's own disk)`,
        RSS: 'VmRSS of each process from /proc, sampled every 50 ms over the measured runs; growth = peak − RSS before the first run',
        processes: 'auth, media, gateway: one process each over NATS, PGlite per service; uploads sent by the runner',
      },
    };
  },
};

export default benchmark;
