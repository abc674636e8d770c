import { runServer } from '@parley/kit';
import app from './app.ts';
import { loadFaceMatchConfig } from './config.ts';

await runServer({ name: 'face-match', loadConfig: loadFaceMatchConfig, app, requireNats: true });
