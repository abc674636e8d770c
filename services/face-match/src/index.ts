export { default as faceMatchApp, migrationsFolder, type FaceMatchOptions } from './app.ts';
export { type FaceMatchConfig, FaceMatchConfigSchema, loadFaceMatchConfig } from './config.ts';
