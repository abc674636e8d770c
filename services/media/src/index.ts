export { createMediaDeps, default as mediaApp, type MediaOptions, migrationsFolder } from './app.ts';
export { loadMediaConfig, type MediaConfig, MediaConfigSchema, rulesOf } from './config.ts';
