import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One socket to open: the fleet waits for its first frame (`hello`) before it counts as connected. */
export interface SocketTarget {
  url: string;
  headers?: Record<string, string>;
}

/** What the fleet measured for one run (every figure over the messages the sender had accepted). */
export interface FleetFigures {
  sockets: number;
  /** Accepted messages × sockets. */
  expected: number;
  /** Distinct (socket, message) deliveries. */
  received: number;
  /** Deliveries of messages whose send was refused (e.g. a 504 for a message stored after all). */
  ofRefused: number;
  /** A `message.created` whose seq was not above the socket's previous one: a duplicate or out of order. */
  outOfOrder: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Epoch ms (performance.timeOrigin + now) of the last delivery. */
  lastReceivedAt: number;
  meanFrameBytes: number;
  /** Sockets closed during the run, by close code. */
  closes: Record<string, number>;
}

export type FleetRequest =
  | { op: 'connect'; targets: SocketTarget[]; concurrency: number }
  | { op: 'start'; run: string; messages: number }
  | { op: 'finish'; accepted: number[]; idleMs: number; capMs: number };

export interface Fleet {
  pid: number;
  connect(targets: SocketTarget[], concurrency: number): Promise<void>;
  /** From now on, frames of `run` (message indexes 0…messages-1) are measured. */
  start(run: string, messages: number): Promise<void>;
  /** Waits until every accepted message reached every socket, or nothing arrived for `idleMs` (at most `capMs`). */
  finish(accepted: number[], idleMs: number, capMs: number): Promise<FleetFigures>;
  close(): Promise<void>;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/**
 * `bench/servers/ws-clients.ts` in a process of its own: the receiving end of every case, so the
 * sender's event loop never delays a receive timestamp. Talks over the IPC channel.
 */
export function startFleet(): Fleet {
  const file = fileURLToPath(new URL('../servers/ws-clients.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  child.on('message', (raw) => {
    const reply = raw as Reply;
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) waiter?.resolve(reply.result);
    else waiter?.reject(new Error(`ws-clients: ${reply.error}`));
  });
  child.once('exit', (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`ws-clients exited (${signal ?? `code ${code}`})`));
    pending.clear();
  });
  const ask = <T>(request: FleetRequest): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error('ws-clients is not running'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, ...request });
    });

  return {
    pid: child.pid as number,
    connect: (targets, concurrency) => ask({ op: 'connect', targets, concurrency }),
    start: (run, messages) => ask({ op: 'start', run, messages }),
    finish: (accepted, idleMs, capMs) => ask({ op: 'finish', accepted, idleMs, capMs }),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The text a fanned-out message carries: the run, its index and when it was sent (epoch ms, µs precision), then padding. */
export const messageText = (run: string, index: number, chars: number): string => {
  const head = `${run}|${index}|${(performance.timeOrigin + performance.now()).toFixed(3)}|`;
  return head.padEnd(chars, 'x');
};
