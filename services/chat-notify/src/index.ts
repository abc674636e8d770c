export { type ChatNotifyOptions, createChatDeps, default as chatNotifyApp, migrationsFolder } from './app.ts';
export { type ChatNotifyConfig, ChatNotifyConfigSchema, loadChatNotifyConfig } from './config.ts';
