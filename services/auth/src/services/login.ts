import { type AuthEndpoints, AuthEvents, type ClientInfo, type EndpointRequest, type TokenPair } from '@parley/contracts';
import type { User } from '../db/schema/users.ts';
import { authError } from '../errors.ts';
import { loginCodeMail } from '../mail/templates.ts';
import { CODE_TTL_SECONDS, checkCode, prepareCode } from './codes.ts';
import type { AuthDeps } from './deps.ts';
import { by } from './events.ts';
import { sendMail } from './mail.ts';
import { createThrottle, FailureLimits, throttleKeys } from './throttle.ts';
import type { LoginMethod, Tokens } from './tokens.ts';

type Req<K extends keyof typeof AuthEndpoints> = EndpointRequest<(typeof AuthEndpoints)[K]>;

const invalidCredentials = () => authError('INVALID_CREDENTIALS', 'Wrong login or password');

export const createLogin = (deps: AuthDeps, tokens: Tokens) => {
  const { repos, passwords, mailer, outbox } = deps;
  const throttle = createThrottle(deps);

  /** Stored before the refusal is answered; if it cannot be, the answer is 503 instead. */
  const failed = async (user: User | undefined, login: string, method: LoginMethod, reason: string, client: ClientInfo) => {
    const userId = user?.id ?? null;
    await outbox.record(AuthEvents.loginFailed, { userId, login, method, reason }, by(userId, client));
  };

  return {
    async login({ login, password, client, revealUnknown, allowUnverified }: Req<'login'>): Promise<TokenPair> {
      const user = await repos.users.findByLogin(login);
      // Unknown logins are counted under their own text, so they throttle exactly like real accounts.
      const account = user?.id ?? `?${login.toLowerCase()}`;
      const pair = throttleKeys.loginPair(account, client.ip);
      const keys = [pair, throttleKeys.loginAccount(account), throttleKeys.loginIp(client.ip)];
      await throttle.assertOpen(keys);

      if (!(await passwords.verify(user?.passwordHash, password)) || !user) {
        await throttle.fail(keys[0]!, FailureLimits.loginPair);
        await throttle.fail(keys[1]!, FailureLimits.loginAccount);
        await throttle.fail(keys[2]!, FailureLimits.loginIp);
        await failed(user, login, 'password', user ? 'wrong-password' : 'unknown-login', client);
        // Only dialects whose documents promise it tell an unknown login apart (still throttled like the rest).
        if (!user && revealUnknown) throw authError('USER_NOT_FOUND', 'No account has this login');
        throw invalidCredentials();
      }
      // Only now, with the password proven, may the answer say anything about the account.
      if (!user.emailVerifiedAt && !allowUnverified) {
        await failed(user, login, 'password', 'email-not-verified', client);
        throw authError('EMAIL_NOT_VERIFIED', 'Confirm your email address first', { email: user.email, name: user.name });
      }
      await throttle.reset(pair);
      if (passwords.needsRehash(user.passwordHash!)) {
        await repos.users.update(user.id, { passwordHash: await passwords.hash(password) });
      }
      return tokens.startSession(user, client, 'password');
    },

    /** Always accepted; only verified accounts get a code, and the mail goes out after the reply. */
    async requestLoginCode({ email, client }: Req<'requestLoginCode'>): Promise<{ accepted: true }> {
      await throttle.allowMail(email, client.ip);
      deps.background(async () => {
        const user = await repos.users.findByEmail(email);
        // Never for unverified accounts: whoever registered someone else's address must not get them in.
        if (!user?.emailVerifiedAt) return;
        const { code, row } = await prepareCode(deps, user.id, 'login');
        await repos.codes.replace(row);
        await sendMail(mailer, { to: user.email, ...loginCodeMail(user.name, code, CODE_TTL_SECONDS / 60) });
      });
      return { accepted: true };
    },

    async verifyLoginCode({ email, code, client }: Req<'verifyLoginCode'>): Promise<TokenPair> {
      const key = throttleKeys.code('login', email);
      await throttle.assertOpen([key]);
      const user = await repos.users.findByEmail(email);
      const spent = await checkCode(deps, user?.emailVerifiedAt ? user.id : undefined, 'login', code);
      if (!user || !spent) {
        await throttle.fail(key, FailureLimits.codeVerify);
        await failed(user, email, 'email-code', 'wrong-code', client);
        throw authError('CODE_INVALID', 'The code is wrong or has expired');
      }
      return tokens.startSession(user, client, 'email-code');
    },
  };
};
export type Login = ReturnType<typeof createLogin>;
