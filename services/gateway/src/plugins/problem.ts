import { ErrorCodes, isParleyError, PROBLEM_CONTENT_TYPE, type Problem } from '@parley/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Fastify's own error codes that are the client's fault, mapped to our stable codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
};

export const problem = (status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Problem => ({
  ...extra,
  type: `urn:parley:problem:${code.toLowerCase().replace(/_/g, '-')}`,
  title: TITLES[status] ?? 'Error',
  status,
  detail,
  code,
});

const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** Whole seconds, at least 1, from a service's `extra.retryAfter`; the default when it gave none. */
const retryAfterOf = (extra: Record<string, unknown> | undefined): number => {
  const value = extra?.retryAfter;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : DEFAULT_RETRY_AFTER_SECONDS;
};

/** 429 and 503 always say when to come back (`Retry-After`, seconds). */
export const sendProblem = (reply: FastifyReply, body: Problem, retryAfterSeconds = retryAfterOf(body)): FastifyReply => {
  if (body.status === 429 || body.status === 503) reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
};

/** The gateway's one error edge: every failure leaves as RFC 9457 problem+json with a stable code; 5xx details are never leaked. */
async function problemPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (err.validation) {
      const errors = err.validation.map((v) => ({
        path: `${err.validationContext ?? 'body'}${v.instancePath || ''}`,
        message: v.message ?? 'is invalid',
      }));
      return sendProblem(
        reply,
        problem(400, 'VALIDATION_FAILED', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors }),
      );
    }
    if (isParleyError(err)) {
      if (err.status >= 500) req.log.warn({ code: err.code, detail: err.message }, 'upstream failure');
      const detail = err.status >= 500 && !(err.code in ErrorCodes) ? 'The service failed to answer' : err.message;
      return sendProblem(reply, problem(err.status, err.code, detail, err.extra));
    }
    const status = err.statusCode ?? 500;
    if (status < 500 && status >= 400) {
      const code = FASTIFY_CODES[err.code] ?? (status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST');
      return sendProblem(reply, problem(status, code, err.message));
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, problem(500, 'INTERNAL', 'An unexpected error occurred; it has been logged'));
  });

  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem(404, 'NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`)),
  );
}

export default fp(problemPlugin, { name: 'parley-problem' });
