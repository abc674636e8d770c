import type { Caller, ClientInfo } from '@parley/contracts';
import {
  createTestClock,
  type ServiceHarness,
  type SmtpCapture,
  startServiceHarness,
  startSmtpCapture,
  type TestClock,
} from '@parley/kit/testing';

export { createTestClock, type TestClock };

import { chatNotifyApp, loadChatNotifyConfig } from '@parley/chat-notify';
import { type AuthConfig, authApp, loadAuthConfig } from '../../src/index.ts';

export interface AuthWorld extends ServiceHarness<AuthConfig> {
  smtp: SmtpCapture;
  clock: TestClock;
}

/**
 * The real auth service as the stack runs it: its own bus namespace (in-process, or NATS when
 * NATS_URL is set), its own database (a fresh Postgres database with DATABASE_URL, else PGlite),
 * the real chat-notify service beside it (auth's mail goes through its queue), a real SMTP server
 * capturing that mail, and a clock the test controls.
 */
export const startAuth = async (env: Record<string, string> = {}): Promise<AuthWorld> => {
  const smtp = await startSmtpCapture();
  const clock = createTestClock();
  const harness = await startServiceHarness({
    service: 'auth',
    loadConfig: loadAuthConfig,
    env: { SMTP_URL: smtp.url, MAIL_FROM: 'parley@example.test', ...env },
    // Not the result of register(): that is a thenable, which an async function would unwrap.
    register: (app, { config, shared }) => void app.register(authApp, { config, shared, clock }),
    companions: [
      {
        service: 'chat-notify',
        loadConfig: loadChatNotifyConfig,
        register: (app, { config, shared }) => void app.register(chatNotifyApp, { config, shared }),
      },
    ],
  }).catch(async (err) => {
    await smtp.close();
    throw err;
  });
  harness.onClose(() => smtp.close());
  return { ...harness, smtp, clock };
};

export const client = (ip = '198.51.100.7', userAgent = 'vitest'): ClientInfo => ({ ip, userAgent });

export const callerOf = (tokens: { sessionId: string; user: { id: string } }, info: ClientInfo = client()): Caller => ({
  userId: tokens.user.id,
  sessionId: tokens.sessionId,
  ...info,
});
