export { default as authApp, migrationsFolder, type AuthOptions } from './app.ts';
export { type AuthConfig, AuthConfigSchema, loadAuthConfig } from './config.ts';
