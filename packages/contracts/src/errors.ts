import { AuditErrors } from './audit/errors.ts';
import { AuthErrors } from './auth/errors.ts';
import { ChatErrors } from './chat/errors.ts';
import { FaceErrors } from './faces/errors.ts';
import { MediaErrors } from './media/errors.ts';

/**
 * Every machine error code Parley answers with, and the HTTP status it maps to.
 * Services throw `ParleyError`s with these codes; the bus carries them intact and
 * the gateway renders them as RFC 9457 problem details.
 */
export const ErrorCodes = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  UNPROCESSABLE: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
  ...AuthErrors,
  ...MediaErrors,
  ...ChatErrors,
  ...FaceErrors,
  ...AuditErrors,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ParleyErrorOptions {
  /** Overrides the status the code maps to (a service-specific code without an entry above). */
  status?: number;
  /** Extra members of the problem document, e.g. `{ strength: 2 }`. Never secrets. */
  extra?: Record<string, unknown>;
  cause?: unknown;
}

/** A coded error that survives the bus and becomes a problem+json answer at the edge. */
export class ParleyError extends Error {
  readonly code: string;
  readonly status: number;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode | (string & {}), detail?: string, options: ParleyErrorOptions = {}) {
    super(detail ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ParleyError';
    this.code = code;
    this.status = options.status ?? (ErrorCodes as Record<string, number>)[code] ?? 500;
    this.extra = options.extra;
  }

  /** The JSON form that crosses the bus. */
  toWire(): WireError {
    return { code: this.code, status: this.status, detail: this.message, ...(this.extra ? { extra: this.extra } : {}) };
  }

  static fromWire(wire: WireError): ParleyError {
    return new ParleyError(wire.code, wire.detail, { status: wire.status, ...(wire.extra ? { extra: wire.extra } : {}) });
  }
}

export interface WireError {
  code: string;
  status: number;
  detail: string;
  extra?: Record<string, unknown>;
}

export const isParleyError = (err: unknown): err is ParleyError => err instanceof ParleyError;
