import type { PublicUser, UserSelf } from '@parley/contracts';
import type { User } from '../db/schema/users.ts';

/** Roles are not stored: an account is admin while its address is in ADMIN_EMAILS. */
export const roleOf = (user: Pick<User, 'email'>, admins: ReadonlySet<string>): UserSelf['role'] =>
  admins.has(user.email.toLowerCase()) ? 'admin' : 'user';

export const toUserSelf = (user: User, admins: ReadonlySet<string>): UserSelf => ({
  id: user.id,
  name: user.name,
  email: user.email,
  emailVerified: user.emailVerifiedAt !== null,
  avatarUrl: user.avatarUrl,
  role: roleOf(user, admins),
  createdAt: user.createdAt.toISOString(),
});

export const toPublicUser = (user: Pick<User, 'id' | 'name' | 'avatarUrl'>): PublicUser => ({
  id: user.id,
  name: user.name,
  avatarUrl: user.avatarUrl,
});
