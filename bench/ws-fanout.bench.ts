import { randomUUID } from 'node:crypto';
import { startChatStack, usersInOneRoom } from './lib/chat-stack.ts';
import { cpuSeconds } from './lib/cpu.ts';
import { serverEnv } from './lib/env.ts';
import { probeNats } from './lib/nats.ts';
import { sendPaced } from './lib/paced-sender.ts';
import { startServer } from './lib/server-process.ts';
import { sampleRss } from './lib/services.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';
import { type Fleet, type FleetFigures, messageText, type SocketTarget, startFleet } from './lib/ws-fleet.ts';

const CLIENTS = 1_000;
const GATEWAYS = 2;
/** Offered message rates, each for SECONDS: every message goes to all CLIENTS sockets. */
const RATES = [10, 20, 50];
const SECONDS = 6;
const WARMUP = { rate: 10, seconds: 2 };
const TEXT_CHARS = 100;
const MAX_IN_FLIGHT = 64;
/** A run ends when every delivery arrived, or nothing arrived for IDLE_MS (what is missing then is lost). */
const IDLE_MS = 5_000;
const CAP_MS = 60_000;
const CONNECT_CONCURRENCY = 50;
const SETUP_CONCURRENCY = 8;
const ROOM_INITIAL_MEMBERS = 100;
const LIMIT = 'plain ws broadcast server';
const PARLEY = `Parley: POST /rooms/:id/messages → chat-notify → NATS → ${GATEWAYS} gateways`;
const DEFAULT_NATS = 'nats://127.0.0.1:4222';
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

/** What differs between the cases: where the sockets go, how a message is sent, which processes serve. */
interface Case {
  name: string;
  /** How the notes under the table name it. */
  label: string;
  targets: SocketTarget[];
  send(run: string, index: number): Promise<true | string>;
  /** The processes holding the sockets (RSS and CPU), and the one storing and numbering events, if any. */
  serverPids: number[];
  storePid?: number;
  /** Feed reads the gateways made to fill gaps in the live pushes, so far (Parley only). */
  backfills?: () => Promise<number>;
}

interface Step {
  rate: number;
  figures: FleetFigures;
  deliveredPerSec: number;
  postErrors: string[];
  backfills: number;
  peakRssMiB: number;
  cpu: { servers: number; store: number; clients: number };
}

const cpuOf = (pids: number[]): number => pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? Number.NaN), 0);

/** One offered rate: the sender paces messages, the fleet times every delivery. */
async function step(fleet: Fleet, c: Case, rate: number, seconds: number): Promise<Step> {
  const run = `r${rate}-${randomUUID().slice(0, 6)}`;
  const count = rate * seconds;
  await fleet.start(run, count);
  const rss = sampleRss(c.serverPids, 100);
  const pids = { servers: c.serverPids, store: c.storePid ? [c.storePid] : [], clients: [fleet.pid] };
  const before = { servers: cpuOf(pids.servers), store: cpuOf(pids.store), clients: cpuOf(pids.clients) };
  const backfillsBefore = (await c.backfills?.()) ?? Number.NaN;
  const started = performance.now();
  const sent = await sendPaced(rate, count, MAX_IN_FLIGHT, (i) => c.send(run, i));
  const figures = await fleet.finish(sent.accepted, IDLE_MS, CAP_MS);
  const wall = (performance.now() - started) / 1000;
  const percent = (key: keyof typeof pids): number => ((cpuOf(pids[key]) - before[key]) / wall) * 100;
  const cpu = { servers: percent('servers'), store: c.storePid ? percent('store') : Number.NaN, clients: percent('clients') };
  const peakRssMiB = Math.max(...rss.stop().map((r) => r.peakMiB));
  const backfills = ((await c.backfills?.()) ?? Number.NaN) - backfillsBefore;
  // The sending period is count / rate (the last message leaves one interval before it ends).
  const span = Math.max(seconds, (figures.lastReceivedAt - sent.firstSentAt) / 1000);
  const deliveredPerSec = figures.received / span;
  const postErrors = [
    ...(sent.failed > 0
      ? [`${sent.failed} of ${count} sends refused (${[...sent.refused].map(([why, n]) => `${why} ×${n}`).join(', ')})`]
      : []),
    ...(sent.late > 0 ? [`${sent.late} sends late: ${MAX_IN_FLIGHT} were still unanswered`] : []),
  ];
  return { rate, figures, deliveredPerSec, postErrors, backfills, peakRssMiB, cpu };
}

/** Kept up with the offered rate: every send accepted and delivered everywhere, at the pace offered, p99 under a second. */
const keptUp = (s: Step): boolean =>
  s.postErrors.length === 0 &&
  s.figures.received === s.figures.expected &&
  s.figures.outOfOrder === 0 &&
  s.deliveredPerSec >= 0.95 * s.rate * s.figures.sockets &&
  s.figures.p99Ms < 1_000;

/** Opens every socket, warms up, then runs each rate; the fleet process is the same program for every case. */
async function measureCase(c: Case, notes: Record<string, string>): Promise<Step[]> {
  const fleet = startFleet();
  try {
    const connectStarted = Date.now();
    await fleet.connect(c.targets, CONNECT_CONCURRENCY);
    console.log(`  ${c.targets.length} sockets open (${Math.round((Date.now() - connectStarted) / 1000)} s); warm-up…`);
    await step(fleet, c, WARMUP.rate, WARMUP.seconds);
    const steps: Step[] = [];
    for (const rate of RATES) {
      console.log(`  ${rate} msg/s for ${SECONDS} s…`);
      const s = await step(fleet, c, rate, SECONDS);
      const anomalies = [
        ...s.postErrors,
        ...(s.figures.ofRefused > 0 ? [`${s.figures.ofRefused} deliveries of refused sends (stored after all)`] : []),
        ...(s.figures.outOfOrder > 0 ? [`${s.figures.outOfOrder} duplicate or out-of-order deliveries`] : []),
        ...Object.entries(s.figures.closes).map(([code, n]) => `${n} sockets closed with ${code}`),
      ];
      if (anomalies.length > 0) notes[`${c.label} @ ${rate} msg/s`] = anomalies.join('; ');
      notes[`${c.label} frame`] = `${Math.round(s.figures.meanFrameBytes)} bytes on average`;
      steps.push(s);
    }
    const kept = steps.filter((s) => keptUp(s)).at(-1);
    notes[`${c.label} sustained`] = kept
      ? `${kept.rate} msg/s (${Math.round(kept.deliveredPerSec)} deliveries/s) of ${RATES.join('/')}`
      : `none of ${RATES.join('/')} msg/s`;
    return steps;
  } finally {
    await fleet.close();
  }
}

/** The same shape and sizes as Parley's `message.created` frame; the server adds its `seq`. */
const limitFrame = (run: string, index: number, ids: { room: string; sender: string }): string =>
  JSON.stringify({
    type: 'message.created',
    roomId: ids.room,
    message: {
      id: randomUUID(),
      roomId: ids.room,
      senderId: ids.sender,
      text: messageText(run, index, TEXT_CHARS),
      media: null,
      createdAt: new Date().toISOString(),
    },
  });

async function runLimit(notes: Record<string, string>): Promise<Step[]> {
  const server = await startServer('ws-broadcast.ts', serverEnv());
  try {
    const ids = { room: randomUUID(), sender: randomUUID() };
    const wsUrl = `${server.url.replace('http', 'ws')}/ws`;
    return await measureCase(
      {
        name: LIMIT,
        label: 'limit',
        targets: Array.from({ length: CLIENTS }, () => ({ url: wsUrl })),
        serverPids: [server.pid],
        send: async (run, i) => {
          const res = await fetch(`${server.url}/broadcast`, { method: 'POST', body: limitFrame(run, i, ids) });
          return res.status === 204 || `HTTP ${res.status}`;
        },
      },
      notes,
    );
  } finally {
    await server.stop();
  }
}

async function runParley(nats: string, notes: Record<string, string>): Promise<Step[]> {
  const stack = await startChatStack({ nats, postgres: process.env.DATABASE_URL || DEFAULT_POSTGRES, gateways: GATEWAYS });
  try {
    const gateways = stack.gateways.map((g) => g.url);
    const started = Date.now();
    const { users, roomId } = await usersInOneRoom(stack, CLIENTS, ROOM_INITIAL_MEMBERS, SETUP_CONCURRENCY);
    notes.setup = `${CLIENTS} accounts registered and verified with the mailed code, in one room: created with ${Math.min(ROOM_INITIAL_MEMBERS, CLIENTS - 1)} members, the other ${Math.max(0, CLIENTS - ROOM_INITIAL_MEMBERS - 1)} added one by one as they registered (${Math.round((Date.now() - started) / 1000)} s)`;
    console.log(`  ${notes.setup}`);
    const owner = users[0]!;
    return await measureCase(
      {
        name: PARLEY,
        label: 'Parley',
        targets: users.map((u, i) => ({
          url: `${gateways[i % GATEWAYS]!.replace('http', 'ws')}/api/v1/ws`,
          headers: { authorization: `Bearer ${u.accessToken}` },
        })),
        serverPids: stack.gateways.map((g) => g.pid),
        storePid: stack.chatNotify.pid,
        backfills: async () =>
          (await Promise.all(gateways.map((g) => counter(g, 'parley_ws_backfills_total')))).reduce((a, b) => a + b),
        send: async (run, i) => {
          const res = await fetch(`${gateways[i % GATEWAYS]}/api/v1/rooms/${roomId}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.accessToken}` },
            body: JSON.stringify({ text: messageText(run, i, TEXT_CHARS) }),
          });
          const body = (await res.json().catch(() => ({}))) as { code?: string };
          return res.status === 201 || `HTTP ${res.status} ${body.code ?? ''}`.trim();
        },
      },
      notes,
    );
  } finally {
    await stack.close();
  }
}

/** A counter's value summed over its labels, from a process's Prometheus `/metrics`. */
async function counter(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const pattern = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm');
  return [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const row = (name: string, s: Step, limit: Step | undefined): BenchRow => ({
  case: name,
  figures: {
    'offered msg/s': s.rate,
    'delivered/s': s.deliveredPerSec,
    p50: s.figures.p50Ms,
    p99: s.figures.p99Ms,
    max: s.figures.maxMs,
    lost: s.figures.expected - s.figures.received,
    '× limit': limit ? s.deliveredPerSec / limit.deliveredPerSec : Number.NaN,
    'server RSS MiB': s.peakRssMiB,
    'server CPU': s.cpu.servers,
    'chat-notify CPU': s.cpu.store,
    'clients CPU': s.cpu.clients,
    backfills: s.backfills,
  },
});

const benchmark: Benchmark = {
  name: 'ws-fanout',
  description: `WebSocket fan-out: ${CLIENTS.toLocaleString('en-US')} connected clients (${CLIENTS.toLocaleString('en-US')} distinct users, all members of one room) across ${GATEWAYS} gateway processes; a sender posts messages over HTTP at a steady rate and every client times each delivery (messages delivered per second, p50/p99/max latency, deliveries lost), beside a plain \`ws\` server broadcasting the same frames to the same ${CLIENTS.toLocaleString('en-US')} clients (the limit). Everything shares this machine's cores: the client process, the servers, the sender, NATS and Postgres.`,
  async run() {
    const natsUrl = process.env.NATS_URL || DEFAULT_NATS;
    const nats = await probeNats(natsUrl);
    const notes: Record<string, string> = {};

    console.log(`${LIMIT}: ${CLIENTS} sockets in one process…`);
    const limitSteps = await runLimit(notes);
    const rows = limitSteps.map((s) => row(LIMIT, s, s));

    if (nats.ok) {
      console.log(`${PARLEY}: auth, chat-notify and ${GATEWAYS} gateways as processes on ${natsUrl}…`);
      const steps = await runParley(natsUrl, notes);
      const limitAt = (rate: number): Step | undefined => limitSteps.find((l) => l.rate === rate);
      rows.push(...steps.map((s) => row(PARLEY, s, limitAt(s.rate))));
    } else {
      console.log(`${PARLEY}: NOT RUN — ${nats.reason}`);
      rows.push({
        case: PARLEY,
        figures: {},
        skipped: `${nats.reason} (the gateways and chat-notify run as processes over NATS)`,
      });
    }

    return {
      columns: [
        { key: 'offered msg/s', unit: 'count' },
        { key: 'delivered/s', unit: 'count' },
        { key: 'p50', unit: 'ms' },
        { key: 'p99', unit: 'ms' },
        { key: 'max', unit: 'ms' },
        { key: 'lost', unit: 'count' },
        { key: '× limit', unit: 'x' },
        { key: 'server RSS MiB', unit: 'count' },
        { key: 'server CPU', unit: '%' },
        { key: 'chat-notify CPU', unit: '%' },
        { key: 'clients CPU', unit: '%' },
        { key: 'backfills', unit: 'count' },
      ],
      limit: LIMIT,
      rows,
      settings: {
        clients: `${CLIENTS} \`ws\` sockets in one child process (the same program for both cases), ${CLIENTS / GATEWAYS} per gateway in the Parley case`,
        sender: `open loop from the runner: message i leaves at i / rate (at most ${MAX_IN_FLIGHT} unanswered), alternating between the gateways; ${WARMUP.seconds} s at ${WARMUP.rate} msg/s first, not counted; then ${SECONDS} s per rate`,
        message: `${TEXT_CHARS} characters of text carrying its send time (performance.timeOrigin + now, same machine)`,
        latency:
          'receive time − send time of every delivery of every message (refused sends that were stored anyway included), at the client; includes the HTTP post',
        'delivered/s':
          'deliveries (messages × sockets that got them) ÷ the longer of the sending period and first send → last delivery',
        lost: `deliveries expected (messages the server accepted × ${CLIENTS}) − distinct deliveries received, waiting until ${IDLE_MS / 1000} s pass with none; refused sends are listed below`,
        sustained:
          'the highest offered rate with every send accepted, every delivery made, ≥ 95% of the offered deliveries/s and p99 under 1 s',
        backfills: 'feed reads the gateways made to fill a gap in the live pushes (parley_ws_backfills_total)',
        'server RSS MiB': 'peak VmRSS of the process holding the sockets (the larger of the two gateways), sampled every 100 ms',
        CPU: 'CPU time ÷ wall time of the step, in % of one core (server: both gateways together)',
        processes: `auth, chat-notify and ${GATEWAYS} gateways each a process, over NATS (${natsUrl}, own namespace) and a fresh Postgres database (media is not started: text messages never reach it); the limit is bench/servers/ws-broadcast.ts`,
        ...notes,
      },
    };
  },
};

export default benchmark;
