import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, integerField, loadConfig } from '@parley/kit';
import { type Static, Type } from 'typebox';

const HOUR_MS = 3_600_000;

export const AuditLogConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts['audit-log']).properties,
  /** Events stored longer ago than this are deleted (summarised by the retention checkpoint). */
  AUDIT_RETENTION_DAYS: integerField(1, 36_500, 365),
  /** How often each copy runs retention (copies take turns through a lock). */
  AUDIT_PRUNE_INTERVAL_MS: integerField(1_000, 7 * 24 * HOUR_MS, HOUR_MS),
});
export type AuditLogConfig = Static<typeof AuditLogConfigSchema>;

export const loadAuditLogConfig = (env: NodeJS.ProcessEnv = process.env): AuditLogConfig => loadConfig(AuditLogConfigSchema, env);
