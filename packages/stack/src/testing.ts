import { randomUUID } from 'node:crypto';
import { createClient, type ParleyClient } from '@parley/client';
import { createTestDatabaseUrl } from '@parley/kit/testing';
import { type Stack, startStack } from './stack.ts';

export interface TestStack extends Stack {
  client: ParleyClient;
  env: NodeJS.ProcessEnv;
}

/**
 * A whole Parley for one test file, isolated from every other: its own bus namespace
 * (so parallel files on one NATS never answer each other), its own database (a fresh
 * Postgres database when DATABASE_URL is set, else in-memory PGlite), a random port.
 */
export async function startTestStack(overrides: NodeJS.ProcessEnv = {}): Promise<TestStack> {
  const database = await createTestDatabaseUrl();
  const env: NodeJS.ProcessEnv = {
    NATS_URL: process.env.NATS_URL,
    DATABASE_URL: database.url,
    DATA_DIR: 'memory://',
    BUS_NAMESPACE: `t${randomUUID().slice(0, 8)}`,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...overrides,
  };
  let stack: Stack;
  try {
    stack = await startStack({ env });
  } catch (err) {
    await database.drop();
    throw err;
  }
  return {
    ...stack,
    env,
    client: createClient({ baseUrl: stack.url }),
    close: async () => {
      await stack.close();
      await database.drop();
    },
  };
}
