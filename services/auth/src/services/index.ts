import type { AuthDeps } from './deps.ts';
import { createDirectory } from './directory.ts';
import { createLogin } from './login.ts';
import { createProfile } from './profile.ts';
import { createRegistration } from './registration.ts';
import { createSessions } from './sessions.ts';
import { createTokens } from './tokens.ts';

/** The auth domain, wired once from its dependencies. */
export const createAuthDomain = (deps: AuthDeps) => {
  const tokens = createTokens(deps);
  const sessions = createSessions(deps);
  return {
    tokens,
    sessions,
    keys: deps.keys,
    registration: createRegistration(deps, tokens),
    login: createLogin(deps, tokens),
    profile: createProfile(deps, sessions),
    directory: createDirectory(deps),
  };
};
export type AuthDomain = ReturnType<typeof createAuthDomain>;
