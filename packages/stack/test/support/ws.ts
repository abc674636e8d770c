import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { expect } from 'vitest';
import { WebSocket } from 'ws';

/** Any frame the gateway sends: a numbered feed event (with `seq`) or a control frame. */
export type Frame = { type: string; seq?: number; [key: string]: unknown };

export interface ConnectOptions {
  since?: number;
  origin?: string;
  /** Send the token as `Authorization: Bearer` instead of `?token=`. */
  tokenInHeader?: boolean;
  headers?: Record<string, string>;
  /** `false`: never answer the server's pings (a dead client, as far as the heartbeat can tell). */
  autoPong?: boolean;
}

export interface WsClient {
  socket: WebSocket;
  /** Every frame received, in order. */
  frames: Frame[];
  /** The numbered feed events received, in order. */
  events(): Frame[];
  /** The first frame after the previous `next` match that satisfies `predicate`. */
  next(predicate?: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  send(frame: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  /** Closes (if open) and waits until the socket is closed. */
  close(): Promise<void>;
}

export const wsUrl = (baseUrl: string, token: string | undefined, options: ConnectOptions = {}): string => {
  const url = new URL('/api/v1/ws', baseUrl.replace(/^http/, 'ws'));
  if (token !== undefined && !options.tokenInHeader) url.searchParams.set('token', token);
  if (options.since !== undefined) url.searchParams.set('since', String(options.since));
  return url.toString();
};

const socketFor = (baseUrl: string, token: string | undefined, options: ConnectOptions): WebSocket =>
  new WebSocket(wsUrl(baseUrl, token, options), {
    headers: {
      ...(options.tokenInHeader && token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...options.headers,
    },
    ...(options.origin ? { origin: options.origin } : {}),
    autoPong: options.autoPong ?? true,
  });

/** Opens a socket to the gateway at `baseUrl` and collects what it receives; rejects if the upgrade is refused. */
export const connect = (baseUrl: string, token: string | undefined, options: ConnectOptions = {}): Promise<WsClient> => {
  const socket = socketFor(baseUrl, token, options);
  const frames: Frame[] = [];
  let cursor = 0;
  const waiters = new Set<() => void>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const wake of waiters) wake();
    });
  });
  // Errors after the upgrade (a reset connection) end in 'close' too; without a listener they would throw.
  socket.on('error', () => {});
  socket.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    for (const wake of waiters) wake();
  });

  const next = (predicate: (frame: Frame) => boolean = () => true, timeoutMs = 15_000): Promise<Frame> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const index = frames.findIndex((f, i) => i >= cursor && predicate(f));
        if (index >= 0) {
          cursor = index + 1;
          done();
          resolve(frames[index] as Frame);
        } else if (socket.readyState === WebSocket.CLOSED) {
          done();
          reject(new Error(`socket closed before the frame came; received: ${JSON.stringify(frames.slice(cursor))}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`no such frame within ${timeoutMs} ms; received: ${JSON.stringify(frames.slice(cursor)).slice(0, 2000)}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const client: WsClient = {
    socket,
    frames,
    events: () => frames.filter((f) => typeof f.seq === 'number' && f.type !== 'hello' && f.type !== 'replayed'),
    next,
    send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    closed,
    close: async () => {
      if (socket.readyState !== WebSocket.CLOSED) socket.close();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res: IncomingMessage) =>
      reject(new Error(`upgrade refused: ${res.statusCode} ${STATUS_CODES[res.statusCode ?? 0] ?? ''}`)),
    );
  });
};

/** Opens a socket and waits for its `hello`. */
export const connectReady = async (
  baseUrl: string,
  token: string | undefined,
  options: ConnectOptions = {},
): Promise<{ client: WsClient; hello: Frame }> => {
  const client = await connect(baseUrl, token, options);
  const hello = await client.next((f) => f.type === 'hello');
  return { client, hello };
};

/** An upgrade the gateway refuses: the HTTP status and problem body it answered with. */
export const refusedUpgrade = (
  baseUrl: string,
  token: string | undefined,
  options: ConnectOptions = {},
): Promise<{ status: number; contentType: string; body: Record<string, unknown> }> => {
  const socket = socketFor(baseUrl, token, options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: JSON.parse(text) });
        socket.terminate();
      });
    });
    socket.on('error', (err) => reject(err));
  });
};

/** The events are numbered after+1, after+2, … in order: no gap, no duplicate. */
export const expectGapless = (events: Frame[], after: number): void => {
  const seqs = events.map((e) => e.seq);
  expect(seqs).toEqual(seqs.map((_, i) => after + 1 + i));
};
