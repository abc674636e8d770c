export { type AuthOptions, default as authApp, migrationsFolder } from './app.ts';
export { type AuthConfig, AuthConfigSchema, loadAuthConfig } from './config.ts';
