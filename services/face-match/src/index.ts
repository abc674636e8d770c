export { default as faceMatchApp, type FaceMatchOptions, migrationsFolder } from './app.ts';
export { type FaceMatchConfig, FaceMatchConfigSchema, loadFaceMatchConfig } from './config.ts';
