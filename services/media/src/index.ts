export { default as mediaApp, type MediaOptions, migrationsFolder } from './app.ts';
export { loadMediaConfig, type MediaConfig, MediaConfigSchema } from './config.ts';
