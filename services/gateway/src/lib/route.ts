import {
  type Caller,
  type ClientInfo,
  ParleyError,
  Problem,
  type RouteBody,
  type RouteDef,
  type RouteParams,
  type RouteQuery,
  type RouteReply,
} from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientInfo } from './client-info.ts';
import { strictBody } from './strict-body.ts';

export interface RouteInput<R extends RouteDef> {
  params: RouteParams<R>;
  query: RouteQuery<R>;
  body: RouteBody<R>;
  /** The verified caller; only routes with `auth: true` have one (reading it elsewhere throws). */
  caller: Caller;
  /** The client's address and user agent, for the services to record. */
  client: ClientInfo;
  req: FastifyRequest;
  reply: FastifyReply;
}

/**
 * Registers a route written in contracts: its schemas validate the request,
 * serialize the reply and document OpenAPI; `auth: true` routes authenticate
 * first (before the body is even parsed); a body is checked exactly as sent. The handler runs in the request's
 * context so its id follows every bus call; it may set another status or
 * content type on `reply` (an HTML answer) and return that body.
 */
export const registerRoute = <R extends RouteDef>(
  app: FastifyInstance,
  def: R,
  handler: (input: RouteInput<R>) => Promise<RouteReply<R>>,
): void => {
  app.route({
    method: def.method,
    url: def.url,
    schema: {
      summary: def.summary,
      tags: [...def.tags],
      ...(def.params ? { params: def.params } : {}),
      ...(def.query ? { querystring: def.query } : {}),
      ...(def.body ? { body: def.body } : {}),
      ...(def.auth ? { security: [{ bearer: [] }] } : {}),
      response: { [def.status]: def.reply, '4xx': Problem, '5xx': Problem },
    },
    ...(def.auth ? { onRequest: app.authenticate } : {}),
    // Unknown fields and mistyped values are refused, never silently dropped or converted.
    ...(def.body ? { preValidation: strictBody } : {}),
    handler: (req, reply) =>
      runWithContext({ requestId: req.id }, async () => {
        reply.code(def.status);
        return handler({
          params: req.params as RouteParams<R>,
          query: req.query as RouteQuery<R>,
          body: req.body as RouteBody<R>,
          get caller(): Caller {
            if (!req.caller) throw new ParleyError('INTERNAL', `${def.method} ${def.url} read a caller without authenticating`);
            return req.caller;
          },
          client: clientInfo(req),
          req,
          reply,
        });
      }),
  });
};
