import { ErrorCodes, ParleyError, type WireError } from '@parley/contracts';
import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/unavailable.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `undefined` travels as an empty body, like a NATS message without payload. */
export const toJson = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value));
export const fromJson = (text: string): unknown => (text === '' ? undefined : JSON.parse(text));
export const encode = (value: unknown): Uint8Array => encoder.encode(toJson(value));
export const decode = (bytes: Uint8Array): unknown => fromJson(decoder.decode(bytes));
export const decodeText = (bytes: Uint8Array): string => decoder.decode(bytes);

const validators = new WeakMap<TSchema, Validator>();

/** Compiling is costly and schemas are module-level constants, so each is compiled once. */
export const validatorFor = (schema: TSchema): Validator => {
  let validator = validators.get(schema);
  if (!validator) {
    validator = Compile(schema) as Validator;
    validators.set(schema, validator);
  }
  return validator;
};

export interface ValidationIssue {
  path: string;
  message: string;
}

/** The problems with `value`, or `undefined` when it matches. */
export const validate = (schema: TSchema, value: unknown): ValidationIssue[] | undefined => {
  const validator = validatorFor(schema);
  if (validator.Check(value)) return undefined;
  return validator.Errors(value).map((e) => ({ path: e.instancePath || '/', message: e.message }));
};

export const validationFailed = (what: string, issues: ValidationIssue[]): ParleyError =>
  new ParleyError('VALIDATION_FAILED', `Invalid ${what}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, {
    extra: { errors: issues },
  });

/**
 * Only coded errors cross the wire as they are; anything else could leak internals. A database that
 * cannot be reached is no bug of the request: 503 with Retry-After, so callers come back.
 */
export const toWireError = (err: unknown): WireError => {
  if (err instanceof ParleyError) return err.toWire();
  if (isDatabaseUnavailable(err)) return databaseUnavailable(err).toWire();
  return { code: 'INTERNAL', status: 500, detail: 'Internal error' };
};

const isWireError = (value: unknown): value is WireError => {
  const v = value as Partial<WireError> | null;
  return typeof v === 'object' && v !== null && typeof v.code === 'string' && typeof v.status === 'number';
};

const codeForStatus = (status: number): string =>
  Object.entries(ErrorCodes).find(([, s]) => s === status)?.[0] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');

/** The error in a reply body `{error: WireError}`; headers stand in for repliers that sent no body (other NATS tools). */
export const errorFromReply = (body: string, fallback: { status?: number; detail?: string }): ParleyError => {
  try {
    const parsed = fromJson(body) as { error?: unknown } | undefined;
    if (isWireError(parsed?.error)) return ParleyError.fromWire({ ...parsed.error, detail: parsed.error.detail ?? '' });
  } catch {
    // not JSON: use the headers
  }
  const status = fallback.status ?? 500;
  return new ParleyError(codeForStatus(status), fallback.detail ?? 'Error', { status });
};

export const errorBody = (error: WireError): string => JSON.stringify({ error });

export const serviceUnavailable = (subject: string, why = 'no responders'): ParleyError =>
  new ParleyError('SERVICE_UNAVAILABLE', `Service unavailable: ${subject} (${why})`, { extra: { subject } });

export const upstreamTimeout = (subject: string, timeoutMs: number): ParleyError =>
  new ParleyError('UPSTREAM_TIMEOUT', `No reply from ${subject} within ${timeoutMs} ms`, { extra: { subject, timeoutMs } });
