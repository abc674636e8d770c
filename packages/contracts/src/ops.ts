import { type Static, Type } from 'typebox';
import { endpoint } from './endpoint.ts';
import { type ServiceName, ServiceNames } from './services.ts';

export const ServiceStatus = Type.Object({
  service: Type.String(),
  instance: Type.String({ description: 'Which copy answered (host:pid:n)' }),
  version: Type.String(),
  uptimeSeconds: Type.Number(),
  transport: Type.Union([Type.Literal('memory'), Type.Literal('nats')]),
  database: Type.Object({
    driver: Type.Union([Type.Literal('pglite'), Type.Literal('postgres'), Type.Literal('none')]),
    ok: Type.Boolean(),
    latencyMs: Type.Number(),
  }),
});
export type ServiceStatus = Static<typeof ServiceStatus>;

export const Empty = Type.Object({});

/** `<service>.status`: the service reads its database and says who it is. The gateway's /readyz asks every one. */
export const statusEndpoint = (service: ServiceName) => endpoint(`${service}.status`, Empty, ServiceStatus, { idempotent: true });

export const StatusEndpoints = Object.fromEntries(ServiceNames.map((s) => [s, statusEndpoint(s)])) as {
  [K in ServiceName]: ReturnType<typeof statusEndpoint>;
};
