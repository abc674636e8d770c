export { default as auditLogApp, migrationsFolder, type AuditLogOptions } from './app.ts';
export { type AuditLogConfig, AuditLogConfigSchema, loadAuditLogConfig } from './config.ts';
