import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { limitCloseWait } from '../src/runtime/close-deadline.ts';
import { fastifyOptions } from '../src/runtime/fastify-options.ts';

/**
 * A streamed answer (as compressed ones and downloads are) far larger than the kernel's socket buffers
 * hold: to a client that does not read, it stays unfinished.
 */
const CHUNK = Buffer.alloc(64 * 1024, 'x');
const CHUNKS = 512;
const BIG_BYTES = CHUNK.length * CHUNKS;
const big = (): Readable =>
  Readable.from(
    (function* () {
      for (let i = 0; i < CHUNKS; i++) yield CHUNK;
    })(),
  );

const sockets: Socket[] = [];
const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

const server = async (drainMs?: number): Promise<{ app: FastifyInstance; port: number; bodyStarted: Promise<void> }> => {
  const app = Fastify(fastifyOptions(createLogger({ service: 'test', level: 'silent' })));
  if (drainMs !== undefined) limitCloseWait(app, drainMs);
  let started!: () => void;
  const bodyStarted = new Promise<void>((resolve) => (started = resolve));
  app.get('/big', async (_req, reply) => {
    setImmediate(started);
    return reply.type('application/octet-stream').send(big());
  });
  app.get('/slow', async () => {
    await sleep(300);
    return { done: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as { port: number }).port, bodyStarted };
};

/** A client that asks for a large answer and then never reads it. */
const stalledDownload = async (port: number): Promise<Socket> => {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await once(socket, 'connect');
  socket.write('GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n');
  socket.pause();
  return socket;
};

const settlesWithin = async (promise: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);

describe('closing a server while a client has stopped reading', () => {
  it('without a drain limit, close would wait on that client indefinitely', async () => {
    const { app, port, bodyStarted } = await server();
    const socket = await stalledDownload(port);
    await bodyStarted;
    const closing = app.close();
    expect(await settlesWithin(closing, 1_500)).toBe(false);
    socket.destroy();
    await closing;
  });

  it('cuts the stalled connection after the drain time, and closes', async () => {
    const { app, port, bodyStarted } = await server(300);
    const socket = await stalledDownload(port);
    await bodyStarted;
    expect(await settlesWithin(app.close(), 5_000)).toBe(true);
    // Reading now gets only what was sent before the cut, then the end: the answer was not waited for.
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('error', () => {});
    const closed = once(socket, 'close');
    socket.resume();
    await closed;
    expect(received).toBeLessThan(BIG_BYTES);
  });

  it('lets a request in flight finish, then closes without waiting out its keep-alive', async () => {
    const { app, port } = await server(10_000);
    const answer = fetch(`http://127.0.0.1:${port}/slow`);
    await sleep(50);
    const closing = app.close();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    // Neither the 72 s keep-alive nor the 10 s drain time: the answered connection closed with it.
    expect(await settlesWithin(closing, 3_000)).toBe(true);
  });
});
