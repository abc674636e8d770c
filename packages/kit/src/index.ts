export * from './bus/index.ts';
export * from './bus/types.ts';
export * from './config.ts';
export * from './context.ts';
export * from './db/index.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './runtime/index.ts';
export { createTestDatabaseUrl, type TestDatabase } from './testing/database.ts';
