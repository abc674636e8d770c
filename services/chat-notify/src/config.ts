import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, loadConfig } from '@parley/kit';
import { type Static, Type } from 'typebox';

export const ChatNotifyConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts['chat-notify']).properties,
});
export type ChatNotifyConfig = Static<typeof ChatNotifyConfigSchema>;

export const loadChatNotifyConfig = (env: NodeJS.ProcessEnv = process.env): ChatNotifyConfig =>
  loadConfig(ChatNotifyConfigSchema, env);
