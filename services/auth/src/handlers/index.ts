import type { ServiceKit } from '@parley/kit';
import type { AuthDomain } from '../services/index.ts';
import { accountHandlers } from './accounts.ts';
import { loginHandlers } from './login.ts';
import { sessionHandlers } from './sessions.ts';
import { userHandlers } from './users.ts';

/** Every bus endpoint of AuthEndpoints. */
export const serveAuth = (kit: ServiceKit, domain: AuthDomain): void => {
  accountHandlers(kit, domain);
  loginHandlers(kit, domain);
  sessionHandlers(kit, domain);
  userHandlers(kit, domain);
};
