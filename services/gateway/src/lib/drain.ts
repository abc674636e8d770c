import type { FastifyReply, FastifyRequest } from 'fastify';

export interface DrainLimits {
  /** Bytes read and discarded after the answer before the connection is closed. */
  maxBytes: number;
  /** How long after the answer the client may go on sending before the connection is closed. */
  maxMs: number;
}

export const DEFAULT_DRAIN: DrainLimits = { maxBytes: 8 * 1024 * 1024, maxMs: 5_000 };

const draining = new WeakSet<FastifyRequest>();

/**
 * For an answer given before the whole request body was read (a refused upload): the rest of the
 * body is read and thrown away, so a client still sending sees the answer instead of a reset
 * connection, but only up to `limits`; past them the connection is closed. Closing at once would
 * make the kernel answer the unread bytes with a RST, which can destroy the answer in flight.
 */
export const drainRequest = (req: FastifyRequest, reply: FastifyReply, limits: DrainLimits = DEFAULT_DRAIN): void => {
  const raw = req.raw;
  if (raw.complete || raw.destroyed || draining.has(req)) return;
  draining.add(req);
  // Whatever was still parsing the body (the multipart parser) stops receiving it.
  raw.unpipe();
  let seen = 0;
  let timer: NodeJS.Timeout | undefined;
  const close = (): void => {
    clearTimeout(timer);
    raw.off('data', count);
    raw.socket?.destroy();
  };
  const closeOnceAnswered = (): void => {
    if (reply.raw.writableFinished) close();
    else reply.raw.once('finish', close);
  };
  const count = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > limits.maxBytes) {
      raw.pause();
      closeOnceAnswered();
    }
  };
  raw.on('data', count);
  raw.once('end', () => {
    clearTimeout(timer);
    raw.off('data', count);
  });
  raw.resume();
  reply.raw.once('finish', () => {
    if (raw.complete) return;
    timer = setTimeout(close, limits.maxMs);
    timer.unref();
  });
};
