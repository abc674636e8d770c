import { randomUUID } from 'node:crypto';
import { createClient, type ParleyClient } from '@parley/client';
import { createTestDatabaseUrl, dropBusNamespace, freePort } from '@parley/kit/testing';

export { freePort };

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
  const base: NodeJS.ProcessEnv = {
    NATS_URL: process.env.NATS_URL,
    DATABASE_URL: database.url,
    DATA_DIR: 'memory://',
    BUS_NAMESPACE: `t${randomUUID().slice(0, 8)}`,
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...overrides,
  };
  const portGiven = overrides.PORT !== undefined && overrides.PORT !== '0';
  for (let attempt = 1; ; attempt++) {
    // The port is chosen before the stack starts, so PUBLIC_URL (the links in mails) names the real one.
    const port = portGiven ? (overrides.PORT as string) : String(await freePort());
    const env: NodeJS.ProcessEnv = { ...base, PORT: port, PUBLIC_URL: overrides.PUBLIC_URL ?? `http://127.0.0.1:${port}` };
    let stack: Stack;
    try {
      stack = await startStack({ env });
    } catch (err) {
      // Another process may take the free port before the gateway binds it: pick another.
      if (!portGiven && attempt < 3 && (err as { code?: string }).code === 'EADDRINUSE') continue;
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
        await dropBusNamespace(env.NATS_URL, env.BUS_NAMESPACE as string);
      },
    };
  }
}
