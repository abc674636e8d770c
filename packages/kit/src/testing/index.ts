export * from './clock.ts';
export * from './database.ts';
export * from './nats.ts';
export * from './net.ts';
export * from './outbox-faults.ts';
export * from './postgres-server.ts';
export * from './service-harness.ts';
export * from './smtp.ts';
