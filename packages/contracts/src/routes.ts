import { type Static, type TSchema, Type } from 'typebox';
import { ServiceStatus } from './ops.ts';
import { ServiceNames } from './services.ts';

/**
 * A public HTTP route of the gateway, written once: the gateway registers it
 * (validation + OpenAPI) and the client calls it, both from this object.
 */
export interface RouteDef<
  Params extends TSchema | undefined = TSchema | undefined,
  Query extends TSchema | undefined = TSchema | undefined,
  Body extends TSchema | undefined = TSchema | undefined,
  Reply extends TSchema = TSchema,
> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under `/api/v1`, Fastify syntax (`/status/:service`). */
  readonly url: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly params?: Params;
  readonly query?: Query;
  readonly body?: Body;
  readonly status: number;
  readonly reply: Reply;
  readonly auth: boolean;
}

export const route = <
  Params extends TSchema | undefined = undefined,
  Query extends TSchema | undefined = undefined,
  Body extends TSchema | undefined = undefined,
  Reply extends TSchema = TSchema,
>(
  def: RouteDef<Params, Query, Body, Reply>,
) => def;

/** Optional members read as `X | undefined`: a route without params has `never` here, one with params its schema. */
type StaticOr<T, Fallback> = [NonNullable<T>] extends [never]
  ? Fallback
  : NonNullable<T> extends TSchema
    ? Static<NonNullable<T>>
    : Fallback;
export type RouteParams<R extends RouteDef> = StaticOr<R['params'], undefined>;
export type RouteQuery<R extends RouteDef> = StaticOr<R['query'], undefined>;
export type RouteBody<R extends RouteDef> = StaticOr<R['body'], undefined>;
export type RouteReply<R extends RouteDef> = Static<R['reply']>;

export const ServiceParam = Type.Object({
  service: Type.Enum(ServiceNames),
});

export const SystemStatus = Type.Object({
  ok: Type.Boolean(),
  services: Type.Array(
    Type.Object({
      service: Type.String(),
      ok: Type.Boolean(),
      status: Type.Union([ServiceStatus, Type.Null()]),
      error: Type.Optional(Type.String()),
    }),
  ),
});

export type SystemStatus = Static<typeof SystemStatus>;

export const Routes = {
  getSystemStatus: route({
    method: 'GET',
    url: '/status',
    summary: 'Every service asked over the bus: who answered and whether its database reads',
    tags: ['ops'],
    status: 200,
    reply: SystemStatus,
    auth: false,
  }),
  getServiceStatus: route({
    method: 'GET',
    url: '/status/:service',
    summary: 'One service asked over the bus',
    tags: ['ops'],
    params: ServiceParam,
    status: 200,
    reply: ServiceStatus,
    auth: false,
  }),
} as const;
