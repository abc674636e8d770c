export { type AuthOptions, default as authApp, migrationsFolder } from './app.ts';
export { type AuthConfig, AuthConfigSchema, loadAuthConfig } from './config.ts';
export type { Clock } from './services/deps.ts';
