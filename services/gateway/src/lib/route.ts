import { Problem, type RouteBody, type RouteDef, type RouteParams, type RouteQuery, type RouteReply } from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface RouteInput<R extends RouteDef> {
  params: RouteParams<R>;
  query: RouteQuery<R>;
  body: RouteBody<R>;
  req: FastifyRequest;
  reply: FastifyReply;
}

/**
 * Registers a route written in contracts: its schemas validate the request,
 * serialize the reply and document OpenAPI. The handler runs in the request's
 * context so its id follows every bus call.
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
    handler: (req, reply) =>
      runWithContext({ requestId: req.id }, async () => {
        const result = await handler({
          params: req.params as RouteParams<R>,
          query: req.query as RouteQuery<R>,
          body: req.body as RouteBody<R>,
          req,
          reply,
        });
        reply.code(def.status);
        return result;
      }),
  });
};
