import { randomBytes } from 'node:crypto';
import { createClient, ParleyApiError, type ParleyClient } from '@parley/client';
import type { TokenPair } from '@parley/contracts';
import { type CapturedMail, extractCode, type SmtpCapture, startSmtpCapture } from '@parley/kit/testing';
import { expect } from 'vitest';
import { startTestStack, type TestStack } from '../../src/testing.ts';

/** A whole stack whose mail goes to a real SMTP server the test reads. */
export interface MailStack {
  stack: TestStack;
  smtp: SmtpCapture;
  client: ParleyClient;
  close(): Promise<void>;
}

export const startMailStack = async (env: NodeJS.ProcessEnv = {}): Promise<MailStack> => {
  const smtp = await startSmtpCapture();
  try {
    const stack = await startTestStack({ SMTP_URL: smtp.url, ...env });
    return {
      stack,
      smtp,
      client: stack.client,
      close: async () => {
        await stack.close();
        await smtp.close();
      },
    };
  } catch (err) {
    await smtp.close();
    throw err;
  }
};

export interface NewUser {
  name: string;
  email: string;
  password: string;
}

/** A person nobody else in the run is: unique name and address, a password the strength rule accepts. */
export const newUser = (prefix = 'user'): NewUser => {
  // Letters only: a digit run in a name could pass for the 6-digit code in a mail that quotes it.
  const tag = [...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
  return { name: `${prefix}_${tag}`, email: `${prefix}.${tag}@example.test`, password: `Quiet-Otter-${tag}-Lantern-Harbor` };
};

/** The first mail to `email` that arrived after `mark` (the count of messages before the action). */
export const mailTo = (smtp: SmtpCapture, email: string, mark = 0, timeoutMs = 10_000): Promise<CapturedMail> =>
  smtp.waitFor(
    (m) => smtp.messages.indexOf(m) >= mark && m.to.map((t) => t.toLowerCase()).includes(email.toLowerCase()),
    timeoutMs,
  );

export interface Account {
  user: NewUser;
  tokens: TokenPair;
  /** A client carrying this session's access token. */
  client: ParleyClient;
}

/** Registers with a mailed code and verifies it: an active account with one session. */
export const registerVerified = async (ms: MailStack, user: NewUser = newUser()): Promise<Account> => {
  const mark = ms.smtp.messages.length;
  await ms.client.auth.register({ ...user, verify: 'code' });
  const code = extractCode(await mailTo(ms.smtp, user.email, mark));
  const tokens = await ms.client.auth.verifyEmail({ email: user.email, code });
  return { user, tokens, client: ms.client.withToken(tokens.accessToken) };
};

/** Another session of the same account. */
export const login = async (ms: MailStack, user: NewUser): Promise<Account> => {
  const tokens = await ms.client.auth.login({ login: user.email, password: user.password });
  return { user, tokens, client: ms.client.withToken(tokens.accessToken) };
};

/** The ParleyApiError a call fails with, checked for its status and code. */
export const failure = async (call: Promise<unknown>, status: number, code: string): Promise<ParleyApiError> => {
  const err = await call.then(
    (value) => {
      throw new Error(`expected ${status} ${code}, got success: ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ParleyApiError);
  const problem = err as ParleyApiError;
  expect({ status: problem.status, code: problem.code }, problem.message).toEqual({ status, code });
  return problem;
};

/** A client of one gateway, by its URL. */
export const clientAt = (baseUrl: string, accessToken?: string): ParleyClient =>
  createClient({ baseUrl, ...(accessToken ? { accessToken } : {}) });

/** Polls `check` every `everyMs` until it returns true or `withinMs` passed; returns how long it took, or undefined. */
export const pollUntil = async (check: () => Promise<boolean>, withinMs: number, everyMs = 50): Promise<number | undefined> => {
  const started = performance.now();
  while (performance.now() - started <= withinMs) {
    if (await check()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return undefined;
};

/** The HTTP status a request with this client to GET /users/me gets. */
export const statusOfMe = (client: ParleyClient): Promise<number> =>
  client.users.me().then(
    () => 200,
    (e: unknown) => (e instanceof ParleyApiError ? e.status : 0),
  );
