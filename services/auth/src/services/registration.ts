import { randomUUID } from 'node:crypto';
import {
  type AuthEndpoints,
  AuthEvents,
  type CodeFormat,
  type EndpointRequest,
  type EndpointResponse,
  ParleyError,
} from '@parley/contracts';
import type { User } from '../db/schema/users.ts';
import { authError, mapUserConflict } from '../errors.ts';
import { verificationCodeMail, verificationLinkMail } from '../mail/templates.ts';
import {
  CODE_MAX_ATTEMPTS,
  CODE_TTL_SECONDS,
  checkCode,
  LINK_TTL_SECONDS,
  newCode,
  normalizeCode,
  prepareCode,
  prepareLink,
  sha256,
} from './codes.ts';
import { type AuthDeps, addSeconds } from './deps.ts';
import { by } from './events.ts';
import { sendMail } from './mail.ts';
import { assertStrongPassword } from './password-strength.ts';
import { createThrottle, FailureLimits, throttleKeys } from './throttle.ts';
import type { Tokens } from './tokens.ts';
import { toUserSelf } from './views.ts';

type Req<K extends keyof typeof AuthEndpoints> = EndpointRequest<(typeof AuthEndpoints)[K]>;
type Res<K extends keyof typeof AuthEndpoints> = EndpointResponse<(typeof AuthEndpoints)[K]>;

export const createRegistration = (deps: AuthDeps, tokens: Tokens) => {
  const { repos, passwords, mailer, now, config, admins } = deps;
  const throttle = createThrottle(deps);

  const publicUrl = config.PUBLIC_URL.replace(/\/+$/, '');
  /**
   * The canonical confirm page, or a dialect's own confirm route. A template must lie under PUBLIC_URL: the bus
   * is internal, but a mail pointing anywhere else would be a phishing kit.
   */
  const linkUrl = (token: string, template: string | undefined) => {
    if (template === undefined) return `${publicUrl}/api/v1/auth/verify-email?token=${token}`;
    if (!template.startsWith(`${publicUrl}/`)) {
      throw new ParleyError('VALIDATION_FAILED', 'A confirmation link must point under PUBLIC_URL');
    }
    return template.replaceAll('{token}', encodeURIComponent(token));
  };

  interface MailOptions {
    codeFormat?: CodeFormat | undefined;
    linkTemplate?: string | undefined;
  }

  /** A fresh code or link for `user`, stored through `tx` and mailed. */
  const verificationMail = async (user: User, method: 'code' | 'link', options: MailOptions = {}) => {
    if (method === 'link') {
      const link = prepareLink(now(), user.id);
      return {
        store: (tx: typeof repos) => tx.links.insert(link.row),
        mail: verificationLinkMail(user.name, linkUrl(link.token, options.linkTemplate), LINK_TTL_SECONDS / 3600),
      };
    }
    const { code, row } = await prepareCode(deps, user.id, 'verify_email', null, options.codeFormat);
    return {
      store: (tx: typeof repos) => tx.codes.replace(row),
      mail: verificationCodeMail(user.name, code, CODE_TTL_SECONDS / 60),
    };
  };

  const markVerified = async (user: User, client: Req<'register'>['client']): Promise<User> => {
    if (user.emailVerifiedAt) return user;
    const at = now();
    return deps.transaction(async (tx) => {
      const updated = (await tx.users.update(user.id, { emailVerifiedAt: at, updatedAt: at })) ?? user;
      await tx.events.stage(AuthEvents.emailVerified, { userId: user.id }, by(user.id, client));
      return updated;
    });
  };

  /** A new account's row (not stored yet), once its password passes the strength rule. */
  const newAccount = async (name: string, email: string, password: string, confirmed: boolean): Promise<User> => {
    assertStrongPassword(password, { name, email });
    const at = now();
    return {
      id: randomUUID(),
      name,
      email,
      passwordHash: await passwords.hash(password),
      emailVerifiedAt: confirmed ? at : null,
      avatarUrl: null,
      createdAt: at,
      updatedAt: at,
    };
  };

  return {
    async register(req: Req<'register'>): Promise<Res<'register'>> {
      const { name, email, password, verify = 'code', client } = req;
      const user = await newAccount(name, email, password, false);
      const verification = await verificationMail(user, verify, req);
      // The account and its event together: if the event cannot be stored, no account is left behind.
      await deps.transaction(async (tx) => {
        await tx.users.insert(user).catch(mapUserConflict);
        await verification.store(tx);
        await tx.events.stage(AuthEvents.registered, { userId: user.id, name, verify }, by(user.id, client));
      });
      // Queued after the commit: chat-notify stores the mail in its own database, which (on one shared
      // PGlite connection) waits for this transaction. An account whose mail cannot be queued is undone.
      try {
        await sendMail(mailer, { to: email, ...verification.mail });
      } catch (err) {
        await repos.users.delete(user.id);
        throw err;
      }
      return {
        user: toUserSelf(user, admins),
        verification: {
          method: verify,
          sentTo: email,
          expiresInSeconds: verify === 'link' ? LINK_TTL_SECONDS : CODE_TTL_SECONDS,
        },
      };
    },

    async verifyEmailCode({ email, code, client, revealVerified }: Req<'verifyEmailCode'>): Promise<Res<'verifyEmailCode'>> {
      const key = throttleKeys.code('verify_email', email);
      await throttle.assertOpen([key]);
      const user = await repos.users.findByEmail(email);
      if (revealVerified && user?.emailVerifiedAt) {
        throw authError('EMAIL_ALREADY_VERIFIED', 'This address is already confirmed');
      }
      const spent = await checkCode(deps, user?.emailVerifiedAt ? undefined : user?.id, 'verify_email', code);
      if (!user || !spent) {
        await throttle.fail(key, FailureLimits.codeVerify);
        throw authError('CODE_INVALID', 'The code is wrong or has expired');
      }
      return tokens.startSession(await markVerified(user, client), client, 'email-verification');
    },

    async verifyEmailLink({ token, client, revealVerified }: Req<'verifyEmailLink'>): Promise<Res<'verifyEmailLink'>> {
      if (revealVerified) {
        const link = await repos.links.findLive(sha256(token), now());
        const owner = link ? await repos.users.findById(link.userId) : undefined;
        if (owner?.emailVerifiedAt) throw authError('EMAIL_ALREADY_VERIFIED', 'This address is already confirmed');
      }
      const userId = await repos.links.use(sha256(token), now());
      const user = userId ? await repos.users.findById(userId) : undefined;
      if (!user) throw authError('LINK_INVALID', 'The link is not valid (any more)');
      return tokens.startSession(await markVerified(user, client), client, 'email-verification');
    },

    /** Dialects: a code for an address with no account yet (409 EMAIL_TAKEN when it has one), mailed before the answer. */
    async requestSignupCode({ email, client }: Req<'requestSignupCode'>): Promise<Res<'requestSignupCode'>> {
      await throttle.allowMail(email, client.ip);
      if (await repos.users.findByEmail(email)) throw authError('EMAIL_TAKEN', 'That email address already has an account');
      const code = newCode();
      const at = now();
      const row = {
        email: email.toLowerCase(),
        codeHash: await passwords.hash(code),
        attempts: 0,
        createdAt: at,
        expiresAt: addSeconds(at, CODE_TTL_SECONDS),
      };
      await repos.signupCodes.replace(row);
      await sendMail(mailer, { to: email, ...verificationCodeMail(email.split('@')[0] ?? email, code, CODE_TTL_SECONDS / 60) });
      return { accepted: true };
    },

    /** Dialects: the code proves the address, so the account starts confirmed, with its first session. */
    async registerWithCode(req: Req<'registerWithCode'>): Promise<Res<'registerWithCode'>> {
      const { name, email, password, code, client } = req;
      const address = email.toLowerCase();
      const key = throttleKeys.code('signup', address);
      await throttle.assertOpen([key]);
      const live = await repos.signupCodes.findLive(address, now());
      const reserved = live ? await repos.signupCodes.reserveAttempt(address, CODE_MAX_ATTEMPTS) : false;
      const matches = await passwords.verify(reserved ? live?.codeHash : null, normalizeCode(code));
      if (!reserved || !matches) {
        await throttle.fail(key, FailureLimits.codeVerify);
        throw authError('CODE_INVALID', 'The code is wrong or has expired');
      }
      const user = await newAccount(name, email, password, true);
      await deps.transaction(async (tx) => {
        await tx.users.insert(user).catch(mapUserConflict);
        await tx.signupCodes.delete(address);
        await tx.events.stage(AuthEvents.registered, { userId: user.id, name, verify: 'code' }, by(user.id, client));
        await tx.events.stage(AuthEvents.emailVerified, { userId: user.id }, by(user.id, client));
      });
      return tokens.startSession(user, client, 'email-verification');
    },

    /** Read-only, for the confirm page: mail scanners that open the link must not spend it. */
    async inspectEmailLink({ token }: Req<'inspectEmailLink'>): Promise<Res<'inspectEmailLink'>> {
      const link = await repos.links.findLive(sha256(token), now());
      const user = link ? await repos.users.findById(link.userId) : undefined;
      return user
        ? { valid: true, email: user.email, name: user.name, verified: user.emailVerifiedAt !== null }
        : { valid: false, email: null, name: null };
    },

    /** Always accepted; whether a mail goes out (and how long that takes) says nothing about the address. */
    async resendVerification({ email, client, linkTemplate }: Req<'resendVerification'>): Promise<Res<'resendVerification'>> {
      await throttle.allowMail(email, client.ip);
      if (linkTemplate !== undefined) linkUrl('', linkTemplate); // refused now, not in the background
      deps.background(async () => {
        const user = await repos.users.findByEmail(email);
        if (!user || user.emailVerifiedAt) return;
        const method = (await repos.links.hasAny(user.id)) ? 'link' : 'code';
        const verification = await verificationMail(user, method, { linkTemplate });
        await verification.store(repos);
        await sendMail(mailer, { to: user.email, ...verification.mail });
      });
      return { accepted: true };
    },
  };
};
export type Registration = ReturnType<typeof createRegistration>;
