/**
 * The receiving end of ws-fanout: many `ws` clients in one process, driven over the IPC channel by
 * bench/lib/ws-fleet.ts. Each socket parses every frame as a client would, and for each
 * `message.created` of the run being measured records receive time − the send time in its text.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { FleetFigures, FleetRequest, SocketTarget } from '../lib/ws-fleet.ts';

interface Frame {
  type?: string;
  seq?: number;
  message?: { text?: string };
}

interface Run {
  name: string;
  /** Deliveries per message index. */
  perMessage: Uint32Array;
  latencies: Float64Array;
  count: number;
  outOfOrder: number;
  lastReceivedAt: number;
  bytes: number;
  frames: number;
  closes: Record<string, number>;
}

interface Socket {
  ws: WebSocket;
  lastSeq: number;
}

const sockets: Socket[] = [];
let run: Run | undefined;

const now = (): number => performance.timeOrigin + performance.now();

function onFrame(socket: Socket, data: WebSocket.RawData): void {
  const at = now();
  const text = data.toString();
  const frame = JSON.parse(text) as Frame;
  if (frame.type !== 'message.created' || !run) return;
  const [name, index, sentAt] = (frame.message?.text ?? '').split('|', 3);
  if (name !== run.name) return;
  const i = Number(index);
  if (!(i >= 0 && i < run.perMessage.length)) return;
  run.frames++;
  run.bytes += text.length;
  const seq = frame.seq ?? 0;
  if (seq <= socket.lastSeq) {
    run.outOfOrder++;
    return;
  }
  socket.lastSeq = seq;
  run.perMessage[i]!++;
  if (run.count < run.latencies.length) run.latencies[run.count++] = at - Number(sentAt);
  run.lastReceivedAt = at;
}

/** Resolves once the server's first frame (`hello`) arrived; every later frame goes to `onFrame`. */
function open(target: SocketTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target.url, { headers: target.headers, perMessageDeflate: false });
    const socket: Socket = { ws, lastSeq: 0 };
    let hello = false;
    ws.on('message', (data) => {
      if (hello) return onFrame(socket, data);
      const first = JSON.parse(data.toString()) as Frame;
      if (first.type !== 'hello') return reject(new Error(`first frame was not hello: ${data.toString().slice(0, 200)}`));
      hello = true;
      sockets.push(socket);
      resolve();
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => reject(new Error(`${target.url.split('?')[0]}: HTTP ${res.statusCode} ${body.slice(0, 300)}`)));
    });
    ws.on('error', (err) => reject(err));
    ws.on('close', (code, reason) => {
      if (!hello) return reject(new Error(`closed before hello: ${code} ${reason.toString()}`));
      if (run) run.closes[code] = (run.closes[code] ?? 0) + 1;
    });
  });
}

async function connect(targets: SocketTarget[], concurrency: number): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) await open(targets[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sockets.length;
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

async function finish(accepted: number[], idleMs: number, capMs: number): Promise<FleetFigures> {
  const current = run;
  if (!current) throw new Error('finish without start');
  const expected = accepted.length * sockets.length;
  const received = (): number => accepted.reduce((sum, i) => sum + (current.perMessage[i] ?? 0), 0);
  const started = Date.now();
  let seen = received();
  let progressAt = Date.now();
  while (seen < expected && Date.now() - progressAt < idleMs && Date.now() - started < capMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const value = received();
    if (value !== seen) progressAt = Date.now();
    seen = value;
  }
  run = undefined;
  const all = current.perMessage.reduce((sum, n) => sum + n, 0);
  const sorted = current.latencies.subarray(0, current.count).sort();
  return {
    sockets: sockets.length,
    expected,
    received: seen,
    ofRefused: all - seen,
    outOfOrder: current.outOfOrder,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    lastReceivedAt: current.lastReceivedAt,
    meanFrameBytes: current.frames === 0 ? Number.NaN : current.bytes / current.frames,
    closes: current.closes,
  };
}

async function handle(request: FleetRequest): Promise<unknown> {
  switch (request.op) {
    case 'connect':
      return connect(request.targets, request.concurrency);
    case 'start':
      run = {
        name: request.run,
        perMessage: new Uint32Array(request.messages),
        latencies: new Float64Array(request.messages * Math.max(1, sockets.length)),
        count: 0,
        outOfOrder: 0,
        lastReceivedAt: Number.NaN,
        bytes: 0,
        frames: 0,
        closes: {},
      };
      return null;
    case 'finish':
      return finish(request.accepted, request.idleMs, request.capMs);
  }
}

process.on('message', (raw) => {
  const { id, ...request } = raw as FleetRequest & { id: number };
  handle(request as FleetRequest).then(
    (result) => process.send?.({ id, ok: true, result }),
    (err: unknown) => process.send?.({ id, ok: false, error: (err as Error).message ?? String(err) }),
  );
});
// The runner closing the channel (or going away) ends the fleet.
process.on('disconnect', () => {
  for (const { ws } of sockets) ws.terminate();
  process.exit(0);
});
