export { type AuditLogOptions, createAuditDeps, default as auditLogApp, migrationsFolder } from './app.ts';
export { type AuditLogConfig, AuditLogConfigSchema, loadAuditLogConfig } from './config.ts';
