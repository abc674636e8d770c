import { AuthEndpoints } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { AuthDomain } from '../services/index.ts';

/** The caller's own account, and other people's public profiles. */
export const userHandlers = (kit: ServiceKit, { profile, directory }: AuthDomain): void => {
  kit.serve(AuthEndpoints.me, ({ caller }) => profile.me(caller));
  kit.serve(AuthEndpoints.rename, ({ caller, name }) => profile.rename(caller, name));
  kit.serve(AuthEndpoints.changePassword, ({ caller, currentPassword, newPassword }) =>
    profile.changePassword(caller, currentPassword, newPassword),
  );
  kit.serve(AuthEndpoints.requestEmailChange, ({ caller, newEmail }) => profile.requestEmailChange(caller, newEmail));
  kit.serve(AuthEndpoints.confirmEmailChange, ({ caller, code }) => profile.confirmEmailChange(caller, code));
  kit.serve(AuthEndpoints.setAvatar, ({ caller, avatarUrl }) => profile.setAvatar(caller, avatarUrl));
  kit.serve(AuthEndpoints.searchUsers, ({ q, limit, cursor }) => directory.search(q, limit, cursor));
  kit.serve(AuthEndpoints.getUser, ({ id }) => directory.get(id));
  kit.serve(AuthEndpoints.lookupUsers, ({ ids }) => directory.lookup(ids));
};
