import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, ConfigFields, integerField, loadConfig } from '@parley/kit';
import { type Static, Type } from 'typebox';

const MINUTE_MS = 60_000;

export const ChatNotifyConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts['chat-notify']).properties,
  /** Unset: every mail becomes an .eml file in DATA_DIR/outbox. */
  SMTP_URL: ConfigFields.SMTP_URL,
  MAIL_FROM: ConfigFields.MAIL_FROM,
  /** Sends of one mail before it is marked failed. */
  MAIL_MAX_ATTEMPTS: integerField(1, 100, 10),
  /** Delay before attempt n+1 is MAIL_RETRY_BASE_MS · 2^(n-1), at most MAIL_RETRY_MAX_MS. */
  MAIL_RETRY_BASE_MS: integerField(1, 60 * MINUTE_MS, 2000),
  MAIL_RETRY_MAX_MS: integerField(1, 24 * 60 * MINUTE_MS, 15 * MINUTE_MS),
  /** How often each copy looks for due mail besides being woken by its own inserts. */
  MAIL_POLL_MS: integerField(10, 10 * MINUTE_MS, 1000),
  /** A user's feed keeps at least the last FEED_KEEP_EVENTS events and everything of the last FEED_KEEP_HOURS. */
  FEED_KEEP_EVENTS: integerField(1, 1_000_000, 1000),
  FEED_KEEP_HOURS: integerField(1, 24 * 365, 24),
});
export type ChatNotifyConfig = Static<typeof ChatNotifyConfigSchema>;

export const loadChatNotifyConfig = (env: NodeJS.ProcessEnv = process.env): ChatNotifyConfig =>
  loadConfig(ChatNotifyConfigSchema, env);
