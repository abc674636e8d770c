export { default as mediaApp, migrationsFolder, type MediaOptions } from './app.ts';
export { type MediaConfig, MediaConfigSchema, loadMediaConfig } from './config.ts';
