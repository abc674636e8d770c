import { AuthEvents, type Caller, type UserSelf } from '@parley/contracts';
import { authError, mapUserConflict } from '../errors.ts';
import { emailChangeCodeMail, emailChangeNoticeMail } from '../mail/templates.ts';
import { CODE_TTL_SECONDS, checkCode, prepareCode } from './codes.ts';
import type { AuthDeps } from './deps.ts';
import { sendMail } from './mail.ts';
import { assertStrongPassword } from './password-strength.ts';
import { announceRevocation } from './revocations.ts';
import { type Sessions, who } from './sessions.ts';
import { createThrottle, FailureLimits, throttleKeys } from './throttle.ts';
import { toUserSelf } from './views.ts';

export const createProfile = (deps: AuthDeps, sessions: Sessions) => {
  const { repos, passwords, mailer, now, admins } = deps;
  const throttle = createThrottle(deps);

  return {
    async me(caller: Caller): Promise<UserSelf> {
      const user = await repos.users.findById(caller.userId);
      if (!user) throw authError('USER_NOT_FOUND', 'No such user');
      return toUserSelf(user, admins);
    },

    async rename(caller: Caller, name: string): Promise<UserSelf> {
      const { user } = await sessions.requireLive(caller);
      if (user.name === name) return toUserSelf(user, admins);
      const updated = await deps.transaction(async (tx) => {
        // Staged first: a name taken meanwhile (the unique index) rolls the event back with the change.
        await tx.events.stage(AuthEvents.nameChanged, { userId: user.id, from: user.name, to: name }, who(caller));
        return tx.users.update(user.id, { name, updatedAt: now() }).catch(mapUserConflict);
      });
      return toUserSelf(updated!, admins);
    },

    /** Proves the current password, applies the strength rule, then ends every other session. */
    async changePassword(caller: Caller, currentPassword: string, newPassword: string): Promise<{ done: true }> {
      const { user } = await sessions.requireLive(caller);
      const key = throttleKeys.password(user.id);
      await throttle.assertOpen([key]);
      if (!(await passwords.verify(user.passwordHash, currentPassword))) {
        await throttle.fail(key, FailureLimits.passwordChange);
        throw authError('WRONG_PASSWORD', 'The current password is wrong');
      }
      await throttle.reset(key);
      assertStrongPassword(newPassword, { name: user.name, email: user.email });
      const passwordHash = await passwords.hash(newPassword);
      const revoked = await deps.transaction(async (tx) => {
        await tx.users.update(user.id, { passwordHash, updatedAt: now() });
        const revoked = await sessions.revokeOthers(tx, caller, 'password-changed');
        await tx.events.stage(AuthEvents.passwordChanged, { userId: user.id }, who(caller));
        return revoked;
      });
      announceRevocation(deps, revoked);
      return { done: true };
    },

    /** Mails a code to the new address and tells the old one. The address only changes when the code comes back. */
    async requestEmailChange(caller: Caller, newEmail: string): Promise<{ accepted: true }> {
      const { user } = await sessions.requireLive(caller);
      if (await repos.users.findByEmail(newEmail)) {
        throw authError('EMAIL_TAKEN', 'That email address already has an account');
      }
      await throttle.allowMail(newEmail, caller.ip);
      const { code, row } = await prepareCode(deps, user.id, 'change_email', { email: newEmail });
      await repos.codes.replace(row);
      await sendMail(mailer, { to: newEmail, ...emailChangeCodeMail(user.name, code, CODE_TTL_SECONDS / 60) });
      await sendMail(mailer, { to: user.email, ...emailChangeNoticeMail(user.name, newEmail) });
      return { accepted: true };
    },

    async confirmEmailChange(caller: Caller, code: string): Promise<UserSelf> {
      const { user } = await sessions.requireLive(caller);
      const key = throttleKeys.code('change_email', user.id);
      await throttle.assertOpen([key]);
      const spent = await checkCode(deps, user.id, 'change_email', code);
      const email = spent?.data?.email;
      if (!email) {
        await throttle.fail(key, FailureLimits.codeVerify);
        throw authError('CODE_INVALID', 'The code is wrong or has expired');
      }
      const at = now();
      // The unique index decides: someone may have taken the address since the code was sent.
      const updated = await deps.transaction(async (tx) => {
        await tx.events.stage(AuthEvents.emailChanged, { userId: user.id }, who(caller));
        return tx.users.update(user.id, { email, emailVerifiedAt: at, updatedAt: at }).catch(mapUserConflict);
      });
      return toUserSelf(updated!, admins);
    },

    async setAvatar(caller: Caller, avatarUrl: string | null): Promise<{ avatarUrl: string | null }> {
      const user = await repos.users.update(caller.userId, { avatarUrl, updatedAt: now() });
      if (!user) throw authError('USER_NOT_FOUND', 'No such user');
      return { avatarUrl: user.avatarUrl };
    },
  };
};
export type Profile = ReturnType<typeof createProfile>;
