import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { drainRequest } from './drain.ts';

/** OpenAPI only: the form is streamed by the handler, never parsed into a body to validate. */
export const multipartBody = (fields: Record<string, unknown>) => ({
  body: Type.Object({
    ...fields,
    file: Type.String({ format: 'binary', description: 'The file; its type is decided from its bytes' }),
  }),
  consumes: ['multipart/form-data'],
});

/** For a multipart upload route: the body is not validated (it is streamed), and whatever the answer, the unread rest of it is drained within bounds. */
export const uploadRouteOptions = {
  validatorCompiler: () => () => true,
  onSend: async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    drainRequest(req, reply);
    return payload;
  },
};
