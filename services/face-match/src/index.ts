export { default as faceMatchApp, type FaceMatchOptions, migrationsFolder } from './app.ts';
export { DEFAULT_THRESHOLD, type FaceMatchConfig, FaceMatchConfigSchema, loadFaceMatchConfig } from './config.ts';
