export * from './close-deadline.ts';
export * from './fastify-options.ts';
export * from './instance.ts';
export * from './ops-routes.ts';
export * from './run-server.ts';
export {
  default as serviceKit,
  type KitConfig,
  readStatus,
  type ServiceKit,
  type ServiceKitOptions,
  type SharedInfra,
  schemaName,
} from './service-kit.ts';
