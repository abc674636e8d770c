import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, loadConfig } from '@parley/kit';
import { Type, type Static } from 'typebox';

export const AuthConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts['auth']).properties,
});
export type AuthConfig = Static<typeof AuthConfigSchema>;

export const loadAuthConfig = (env: NodeJS.ProcessEnv = process.env): AuthConfig => loadConfig(AuthConfigSchema, env);
