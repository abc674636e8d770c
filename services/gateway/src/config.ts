import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, ConfigFields, loadConfig } from '@parley/kit';
import { type Static, Type } from 'typebox';

export const GatewayConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts.gateway).properties,
  PUBLIC_URL: ConfigFields.PUBLIC_URL,
  ADMIN_EMAILS: ConfigFields.ADMIN_EMAILS,
  /** How long the gateway waits for a service before answering 504. */
  BUS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 5_000 }),
  /** The `iss` and `aud` access tokens must carry: the auth service signs with the same values. */
  JWT_ISSUER: ConfigFields.JWT_ISSUER,
  JWT_AUDIENCE: ConfigFields.JWT_AUDIENCE,
});
export type GatewayConfig = Static<typeof GatewayConfigSchema>;

export const loadGatewayConfig = (env: NodeJS.ProcessEnv = process.env): GatewayConfig => loadConfig(GatewayConfigSchema, env);
