import { runServer } from '@parley/kit';
import app from './app.ts';
import { loadMediaConfig } from './config.ts';

await runServer({ name: 'media', loadConfig: loadMediaConfig, app, requireNats: true });
