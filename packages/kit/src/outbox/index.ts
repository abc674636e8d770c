export * from './outbox.ts';
export * from './table.ts';
