import { AuthEndpoints } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { AuthDomain } from '../services/index.ts';

/** Logging in (password or mailed code) and refreshing tokens. */
export const loginHandlers = (kit: ServiceKit, { login, tokens }: AuthDomain): void => {
  kit.serve(AuthEndpoints.login, (req) => login.login(req));
  kit.serve(AuthEndpoints.requestLoginCode, (req) => login.requestLoginCode(req));
  kit.serve(AuthEndpoints.verifyLoginCode, (req) => login.verifyLoginCode(req));
  kit.serve(AuthEndpoints.refresh, ({ refreshToken, client }) => tokens.refresh(refreshToken, client));
};
