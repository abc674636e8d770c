import { AuthEndpoints } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { AuthDomain } from '../services/index.ts';
import { rateStrength } from '../services/password-strength.ts';

/** Registration, email verification and the strength meter. */
export const accountHandlers = (kit: ServiceKit, { registration }: AuthDomain): void => {
  kit.serve(AuthEndpoints.register, (req) => registration.register(req));
  kit.serve(AuthEndpoints.verifyEmailCode, (req) => registration.verifyEmailCode(req));
  kit.serve(AuthEndpoints.requestSignupCode, (req) => registration.requestSignupCode(req));
  kit.serve(AuthEndpoints.registerWithCode, (req) => registration.registerWithCode(req));
  kit.serve(AuthEndpoints.verifyEmailLink, (req) => registration.verifyEmailLink(req));
  kit.serve(AuthEndpoints.inspectEmailLink, (req) => registration.inspectEmailLink(req));
  kit.serve(AuthEndpoints.resendVerification, (req) => registration.resendVerification(req));
  kit.serve(AuthEndpoints.passwordStrength, ({ password, name, email }) => rateStrength(password, { name, email }));
};
