import type { ClientInfo } from '@parley/contracts';
import type { FastifyRequest } from 'fastify';

const MAX_USER_AGENT = 512;

/** What the services record about who asked: the peer address and a bounded user agent. */
export const clientInfo = (req: FastifyRequest): ClientInfo => {
  const ua = req.headers['user-agent'];
  return { ip: req.ip ?? null, userAgent: typeof ua === 'string' && ua !== '' ? ua.slice(0, MAX_USER_AGENT) : null };
};
