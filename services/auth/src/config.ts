import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, ConfigFields, integerField, loadConfig, urlField } from '@parley/kit';
import { type Static, Type } from 'typebox';

const DAY = 24 * 60 * 60;

export const AuthConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts.auth).properties,
  /** Where people reach the gateway: links in mails point there, not at this service's own port. */
  PUBLIC_URL: urlField(['http:', 'https:'], { default: `http://localhost:${DefaultPorts.gateway}` }),
  ADMIN_EMAILS: ConfigFields.ADMIN_EMAILS,
  ACCESS_TOKEN_TTL_SECONDS: integerField(60, DAY, 900),
  REFRESH_TOKEN_TTL_SECONDS: integerField(300, 365 * DAY, 30 * DAY),
  JWT_ISSUER: ConfigFields.JWT_ISSUER,
  JWT_AUDIENCE: ConfigFields.JWT_AUDIENCE,
  SIGNING_KEY_ROTATION_HOURS: integerField(1, 24 * 365, 720),
  // OWASP's floor for argon2id is 19 MiB, t=2, p=1: configurable upwards only.
  ARGON2_MEMORY_KIB: integerField(19_456, 4_194_304, 19_456),
  ARGON2_TIME_COST: integerField(2, 50, 2),
  ARGON2_PARALLELISM: integerField(1, 16, 1),
});
export type AuthConfig = Static<typeof AuthConfigSchema>;

export const loadAuthConfig = (env: NodeJS.ProcessEnv = process.env): AuthConfig => loadConfig(AuthConfigSchema, env);

/** ADMIN_EMAILS as a set of lower-cased addresses. */
export const adminEmails = (config: AuthConfig): ReadonlySet<string> =>
  new Set(
    (config.ADMIN_EMAILS ?? '')
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean),
  );
