import { ConfigError } from '@parley/kit';
import { describe, expect, it } from 'vitest';
import { loadAuditLogConfig } from '../src/config.ts';

describe('configuration', () => {
  it('keeps a year of events by default and prunes hourly', () => {
    expect(loadAuditLogConfig({})).toMatchObject({ AUDIT_RETENTION_DAYS: 365, AUDIT_PRUNE_INTERVAL_MS: 3_600_000 });
    expect(loadAuditLogConfig({ AUDIT_RETENTION_DAYS: '30' }).AUDIT_RETENTION_DAYS).toBe(30);
  });

  it('refuses a retention under a day or not a whole number of days, naming each bad variable', () => {
    for (const days of ['0', '-5', '1.5', 'forever']) {
      const env = { AUDIT_RETENTION_DAYS: days, AUDIT_PRUNE_INTERVAL_MS: '10' };
      expect(() => loadAuditLogConfig(env)).toThrow(ConfigError);
      try {
        loadAuditLogConfig(env);
      } catch (err) {
        expect((err as Error).message).toContain('AUDIT_RETENTION_DAYS');
        expect((err as Error).message).toContain('AUDIT_PRUNE_INTERVAL_MS');
      }
    }
  });
});
