import { type ValidationIssue, validate } from '@parley/kit';
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';

/** Where `value` holds a string with U+0000, which no Postgres text or jsonb column can store. */
const nulCharacters = (value: unknown, path = ''): ValidationIssue[] => {
  if (typeof value === 'string') return value.includes('\u0000') ? [{ path, message: 'must not contain U+0000 (NUL)' }] : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => nulCharacters(inner, `${path}/${key}`));
};

/**
 * Fastify's Ajv drops unknown properties (`removeAdditional`) and coerces types (`42` → `"42"`)
 * while it validates a body, so `{name, colour}` or `{name: 42}` would pass as if sent right.
 * As a `preValidation` hook this checks the body exactly as sent against the route's own schema,
 * and refuses NUL characters (a service would fail to store them), failing the way Fastify's
 * validation does: the problem handler renders 400 VALIDATION_FAILED.
 */
export const strictBody = async (req: FastifyRequest): Promise<void> => {
  const schema = req.routeOptions.schema?.body as TSchema | undefined;
  if (!schema) return;
  const issues = validate(schema, req.body) ?? nulCharacters(req.body);
  if (issues.length === 0) return;
  const validation = issues.map((i) => ({
    instancePath: i.path === '/' ? '' : i.path,
    // TypeBox's words for a property that `additionalProperties: false` rules out.
    message: i.message === 'schema is false' ? 'is not a known field' : i.message,
  }));
  throw Object.assign(new Error(`body ${validation.map((v) => `${v.instancePath} ${v.message}`).join('; ')}`), {
    validation,
    validationContext: 'body',
    statusCode: 400,
  });
};
