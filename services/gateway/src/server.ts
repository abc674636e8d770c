import { runServer } from '@parley/kit';
import app from './app.ts';
import { loadGatewayConfig } from './config.ts';

await runServer({ name: 'gateway', loadConfig: loadGatewayConfig, app, requireNats: true });
