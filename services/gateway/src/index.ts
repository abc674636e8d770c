export { default as gatewayApp, type GatewayOptions } from './app.ts';
export { type GatewayConfig, GatewayConfigSchema, loadGatewayConfig } from './config.ts';
export { problem } from './plugins/problem.ts';
