export * from './auth/index.ts';
export * from './endpoint.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './ops.ts';
export * from './problem.ts';
export * from './routes.ts';
export * from './services.ts';
