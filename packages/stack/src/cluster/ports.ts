import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The first port the kernel hands to outgoing connections (Linux's default range starts at 32768). */
const ephemeralStart = (): number => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
};

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

const taken = new Set<number>();

/**
 * A free port below the kernel's range for outgoing connections. A port from that range (`listen(0)`)
 * can be taken, before the process meant to listen on it starts, by any outgoing connection — the
 * cluster's own NATS routes and clients among them — and the node or gateway then fails to bind.
 */
export const listenPort = async (): Promise<number> => {
  const top = ephemeralStart();
  const bottom = Math.max(1_024, top - 12_000);
  for (let tries = 0; tries < 200; tries++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom));
    if (taken.has(port) || !(await canListen(port))) continue;
    taken.add(port);
    return port;
  }
  throw new Error(`no free port found between ${bottom} and ${top}`);
};
