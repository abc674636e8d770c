import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, loadConfig } from '@parley/kit';
import { type Static, Type } from 'typebox';

export const AuditLogConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts['audit-log']).properties,
});
export type AuditLogConfig = Static<typeof AuditLogConfigSchema>;

export const loadAuditLogConfig = (env: NodeJS.ProcessEnv = process.env): AuditLogConfig => loadConfig(AuditLogConfigSchema, env);
