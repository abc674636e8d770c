import { randomBytes } from 'node:crypto';
import { AuthEndpoints, type TokenPair } from '@parley/contracts';
import { type CapturedMail, extractCode, extractLink } from '@parley/kit/testing';
import type { AuthWorld } from './harness.ts';
import { client } from './harness.ts';

/** zxcvbn scores this 4, whoever registers with it. */
export const STRONG_PASSWORD = 'violet tundra marmalade sprocket 42';

export interface TestAccount {
  name: string;
  email: string;
  password: string;
  userId: string;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Letters only: a name with six digits in a row would look like the code in the mail's text. */
export const uniqueName = (prefix = 'user'): string =>
  `${prefix}_${Array.from(randomBytes(10), (b) => LETTERS[b % LETTERS.length]).join('')}`;

export const mailTo = (world: AuthWorld, email: string, subject: RegExp): Promise<CapturedMail> =>
  world.smtp.waitFor((m) => m.to.includes(email.toLowerCase()) && subject.test(m.subject));

export const codeMailedTo = async (world: AuthWorld, email: string, subject: RegExp): Promise<string> => {
  const mail = await mailTo(world, email, subject);
  // Read once: the next wait for this address must find the next mail.
  world.smtp.messages.splice(world.smtp.messages.indexOf(mail), 1);
  return extractCode(mail);
};

export const linkTokenMailedTo = async (world: AuthWorld, email: string): Promise<string> => {
  const mail = await mailTo(world, email, /confirm/i);
  return new URL(extractLink(mail, '/api/v1/auth/verify-email')).searchParams.get('token')!;
};

export const register = async (
  world: AuthWorld,
  options: { name?: string; email?: string; password?: string; verify?: 'code' | 'link' } = {},
): Promise<TestAccount> => {
  const name = options.name ?? uniqueName();
  const email = options.email ?? `${name.toLowerCase()}@example.test`;
  const password = options.password ?? STRONG_PASSWORD;
  const res = await world.call(AuthEndpoints.register, {
    name,
    email,
    password,
    ...(options.verify ? { verify: options.verify } : {}),
    client: client(),
  });
  return { name, email, password, userId: res.user.id };
};

/** Registered, verified with the mailed code, logged in. */
export const registerVerified = async (
  world: AuthWorld,
  options: { name?: string; email?: string; password?: string } = {},
): Promise<TestAccount & { tokens: TokenPair }> => {
  const account = await register(world, options);
  const code = await codeMailedTo(world, account.email, /verification code/i);
  const tokens = await world.call(AuthEndpoints.verifyEmailCode, { email: account.email, code, client: client() });
  return { ...account, tokens };
};

export const login = (world: AuthWorld, account: TestAccount, ip?: string) =>
  world.call(AuthEndpoints.login, { login: account.name, password: account.password, client: client(ip) });
