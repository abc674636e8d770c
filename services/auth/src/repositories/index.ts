import type { Db } from '@parley/kit';
import { createEmailLinksRepository } from './email-links.ts';
import { createOneTimeCodesRepository } from './one-time-codes.ts';
import { createRefreshTokensRepository } from './refresh-tokens.ts';
import { createSessionTokensRepository } from './session-tokens.ts';
import { createSessionsRepository } from './sessions.ts';
import { createSigningKeysRepository } from './signing-keys.ts';
import { createSignupCodesRepository } from './signup-codes.ts';
import { createThrottleRepository } from './throttle.ts';
import { createUsersRepository } from './users.ts';

/** Every repository on one connection: the pool, or a transaction. */
export const createRepositories = (db: Db) => ({
  users: createUsersRepository(db),
  sessions: createSessionsRepository(db),
  refreshTokens: createRefreshTokensRepository(db),
  codes: createOneTimeCodesRepository(db),
  signupCodes: createSignupCodesRepository(db),
  sessionTokens: createSessionTokensRepository(db),
  links: createEmailLinksRepository(db),
  keys: createSigningKeysRepository(db),
  throttle: createThrottleRepository(db),
});
export type Repositories = ReturnType<typeof createRepositories>;
