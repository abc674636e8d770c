import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, loadConfig } from '@parley/kit';
import { type Static, Type } from 'typebox';

export const AuthConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts.auth).properties,
});
export type AuthConfig = Static<typeof AuthConfigSchema>;

export const loadAuthConfig = (env: NodeJS.ProcessEnv = process.env): AuthConfig => loadConfig(AuthConfigSchema, env);
