import { randomUUID } from 'node:crypto';

/**
 * A benchmark server's environment: in-memory PGlite, a throwaway bus namespace, quiet logs,
 * and nothing of the caller's DATABASE_URL / NATS_URL unless the case asks for it.
 */
export const serverEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const { DATABASE_URL: _db, NATS_URL: _nats, ...env } = process.env;
  return {
    ...env,
    DATA_DIR: 'memory://',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    BUS_NAMESPACE: `bench${randomUUID().slice(0, 8)}`,
    ...extra,
  };
};
