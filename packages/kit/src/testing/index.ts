export * from './database.ts';
export * from './nats.ts';
export * from './smtp.ts';
