/**
 * The limit of ws-fanout: a plain `ws` server with no auth, storage, bus or per-user numbering.
 * Every socket on `/ws` gets a `hello` frame; each `POST /broadcast` body (a JSON object) gets the next
 * `seq` and is sent to every open socket; the reply (204) goes out once it has been handed to them all.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serveChild } from '../lib/serve-child.ts';

const MAX_BODY = 64 * 1024;

await serveChild('ws-broadcast', async () => {
  let seq = 0;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/broadcast') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      let frame: string;
      try {
        // Numbered here, in the order posts arrive (as Parley numbers them where they are stored),
        // then one string framed per socket by ws: the least work a broadcast can do.
        frame = JSON.stringify({ ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as object), seq: ++seq });
      } catch {
        res.writeHead(400).end();
        return;
      }
      for (const socket of sockets.clients) socket.send(frame);
      res.writeHead(204).end();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/ws') {
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => ws.send(JSON.stringify({ type: 'hello' })));
  });
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets.clients) socket.terminate();
      sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
