export { default as chatNotifyApp, migrationsFolder, type ChatNotifyOptions } from './app.ts';
export { type ChatNotifyConfig, ChatNotifyConfigSchema, loadChatNotifyConfig } from './config.ts';
