import { type AuthDeps, addSeconds } from './deps.ts';

export const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const GRACE_SECONDS = 24 * 60 * 60;

/**
 * Deletes what can no longer matter: dead throttle counters, expired codes, links and refresh
 * tokens (a day late, so nothing is removed while a request is still deciding about it). Every
 * copy may run it; deleting twice is harmless. Sessions stay: they are the login history.
 */
export const sweep = async ({ repos, now }: Pick<AuthDeps, 'repos' | 'now'>): Promise<void> => {
  const before = addSeconds(now(), -GRACE_SECONDS);
  await repos.throttle.deleteStale(before);
  await repos.codes.deleteExpired(before);
  await repos.signupCodes.deleteExpired(before);
  await repos.links.deleteExpired(before);
  await repos.refreshTokens.deleteExpired(before);
};
