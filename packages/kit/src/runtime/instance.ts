import { hostname } from 'node:os';

let counter = 0;

/** Names one copy of a service: which host, which process, which instance inside it (embedded mode runs several). */
export const newInstanceId = (service: string): string => `${service}@${hostname()}:${process.pid}:${++counter}`;
