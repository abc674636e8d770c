import { tooManyAttempts } from '../errors.ts';
import type { FailurePolicy } from '../repositories/throttle.ts';
import type { AuthDeps } from './deps.ts';

const WINDOW = 15 * 60;
const failures = (limit: number): FailurePolicy => ({
  limit,
  windowSeconds: WINDOW,
  baseDelaySeconds: 30,
  maxDelaySeconds: WINDOW,
});

/**
 * Failed attempts per 15 minutes before further attempts are refused with 429. The first block is
 * 30 s and doubles with each failure after it, up to 15 min. The account+IP pair is the tight one,
 * so a stranger elsewhere cannot lock the owner out; the account and IP ceilings catch attackers
 * who spread out over addresses or accounts.
 */
export const FailureLimits = {
  loginPair: failures(5),
  loginAccount: failures(20),
  loginIp: failures(50),
  /** Wrong codes per address (each code also dies after 5 wrong tries). */
  codeVerify: failures(10),
  /** Wrong current passwords when changing it, per user. */
  passwordChange: failures(5),
} as const;

/** Mails on request (resend, login code, email change): per address and per client IP. */
export const MailLimits = {
  perAddress: { limit: 1, windowSeconds: 60 },
  perIp: { limit: 10, windowSeconds: WINDOW },
} as const;

const retryAfter = (until: Date, now: Date): number => Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));

export const throttleKeys = {
  loginPair: (account: string, ip: string | null) => `login:pair:${account}:${ip ?? '-'}`,
  loginAccount: (account: string) => `login:account:${account}`,
  loginIp: (ip: string | null) => `login:ip:${ip ?? '-'}`,
  code: (purpose: string, who: string) => `code:${purpose}:${who.toLowerCase()}`,
  password: (userId: string) => `password:${userId}`,
  mailAddress: (email: string) => `mail:address:${email.toLowerCase()}`,
  mailIp: (ip: string | null) => `mail:ip:${ip ?? '-'}`,
};

export const createThrottle = ({ repos, now }: Pick<AuthDeps, 'repos' | 'now'>) => ({
  /** 429 while any of `keys` is blocked, before any password or code is even looked at. */
  async assertOpen(keys: string[]): Promise<void> {
    const at = now();
    const until = await repos.throttle.blockedUntil(keys, at);
    if (until) throw tooManyAttempts(retryAfter(until, at));
  },

  async fail(key: string, policy: FailurePolicy): Promise<void> {
    await repos.throttle.recordFailure(key, now(), policy);
  },

  reset: (key: string) => repos.throttle.reset(key),

  /** Counts a mail for the address and the IP; 429 when either is over its rate. */
  async allowMail(email: string, ip: string | null): Promise<void> {
    const at = now();
    const checks = [
      { key: throttleKeys.mailAddress(email), ...MailLimits.perAddress },
      { key: throttleKeys.mailIp(ip), ...MailLimits.perIp },
    ];
    let wait = 0;
    for (const { key, limit, windowSeconds } of checks) {
      const { count, windowStartedAt } = await repos.throttle.hit(key, at, windowSeconds);
      if (count > limit) wait = Math.max(wait, retryAfter(new Date(windowStartedAt.getTime() + windowSeconds * 1000), at));
    }
    if (wait > 0) throw tooManyAttempts(wait);
  },
});
export type Throttle = ReturnType<typeof createThrottle>;
