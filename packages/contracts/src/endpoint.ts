import type { Static, TSchema } from 'typebox';

/** A request/reply operation on the bus: one subject, one request schema, one reply schema. */
export interface EndpointDef<Req extends TSchema = TSchema, Res extends TSchema = TSchema> {
  readonly subject: string;
  readonly request: Req;
  readonly response: Res;
  /** Safe to send again after a timeout or a vanished responder (reads). */
  readonly idempotent: boolean;
}

export type EndpointRequest<E extends EndpointDef> = Static<E['request']>;
export type EndpointResponse<E extends EndpointDef> = Static<E['response']>;

export const endpoint = <Req extends TSchema, Res extends TSchema>(
  subject: string,
  request: Req,
  response: Res,
  options: { idempotent?: boolean } = {},
): EndpointDef<Req, Res> => ({ subject, request, response, idempotent: options.idempotent ?? false });

/** A durable event: at-least-once on the event stream, consumers keyed by event id. */
export interface EventDef<Data extends TSchema = TSchema> {
  readonly type: string;
  readonly version: number;
  readonly data: Data;
  /** The stream subject (`evt.<type>`), before the bus namespace. */
  readonly subject: string;
}

export type EventData<E extends EventDef> = Static<E['data']>;

export const defineEvent = <Data extends TSchema>(type: string, version: number, data: Data): EventDef<Data> => ({
  type,
  version,
  data,
  subject: `evt.${type}`,
});
