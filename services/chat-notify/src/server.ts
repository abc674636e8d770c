import { runServer } from '@parley/kit';
import app from './app.ts';
import { loadChatNotifyConfig } from './config.ts';

await runServer({ name: 'chat-notify', loadConfig: loadChatNotifyConfig, app, requireNats: true });
