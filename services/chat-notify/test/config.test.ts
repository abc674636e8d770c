import { ConfigError } from '@parley/kit';
import { describe, expect, it } from 'vitest';
import { loadChatNotifyConfig } from '../src/config.ts';

describe('configuration', () => {
  it('has working defaults: outbox mail, ten attempts from 2 s doubling to 15 min, a day and 1,000 events of replay', () => {
    expect(loadChatNotifyConfig({})).toMatchObject({
      PORT: 3003,
      MAIL_FROM: 'no-reply@localhost',
      MAIL_MAX_ATTEMPTS: 10,
      MAIL_RETRY_BASE_MS: 2000,
      MAIL_RETRY_MAX_MS: 900_000,
      MAIL_POLL_MS: 1000,
      FEED_KEEP_EVENTS: 1000,
      FEED_KEEP_HOURS: 24,
    });
    expect(loadChatNotifyConfig({}).SMTP_URL).toBeUndefined();
  });

  it('names every bad variable at once, and never an SMTP password', () => {
    const env = { SMTP_URL: 'http://user:hunter22@mail.example.test', MAIL_MAX_ATTEMPTS: '0', FEED_KEEP_HOURS: 'soon' };
    expect(() => loadChatNotifyConfig(env)).toThrow(ConfigError);
    try {
      loadChatNotifyConfig(env);
    } catch (err) {
      const message = (err as Error).message;
      for (const key of Object.keys(env)) expect(message).toContain(key);
      expect(message).not.toContain('hunter22');
    }
  });
});
