export * from './endpoints.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './routes.ts';
export * from './rules.ts';
export * from './schemas.ts';
