import { runServer } from '@parley/kit';
import app from './app.ts';
import { loadAuthConfig } from './config.ts';

await runServer({ name: 'auth', loadConfig: loadAuthConfig, app, requireNats: true });
