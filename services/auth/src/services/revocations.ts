import { RevocationSubject } from '@parley/contracts';
import { type AuthDeps, addSeconds, epochSeconds } from './deps.ts';

/**
 * Tells every gateway (core pub/sub, no queue group) to refuse these sessions' access tokens.
 * Their tokens were issued at the latest now, so after one access TTL they are expired anyway.
 */
export const announceRevocation = ({ bus, config, now }: Pick<AuthDeps, 'bus' | 'config' | 'now'>, sessionIds: string[]) => {
  if (sessionIds.length === 0) return;
  const until = epochSeconds(addSeconds(now(), config.ACCESS_TOKEN_TTL_SECONDS));
  bus.publish(RevocationSubject, { sessionIds, until });
};

/** Revocations a starting gateway must load: those whose tokens may still be unexpired. */
export const liveRevocations = async ({ repos, config, now }: Pick<AuthDeps, 'repos' | 'config' | 'now'>) => {
  const ttl = config.ACCESS_TOKEN_TTL_SECONDS;
  const rows = await repos.sessions.revokedSince(addSeconds(now(), -ttl));
  return { items: rows.map((r) => ({ sessionId: r.id, until: epochSeconds(r.revokedAt) + ttl })) };
};
