import { type Static, type TObject, type TProperties, type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import { parseTrustProxy } from './runtime/fastify-options.ts';

export interface ConfigProblem {
  key: string;
  message: string;
  /** The raw value from the environment, when one was given. */
  value: string | undefined;
}

/** Thrown by loadConfig; the message lists every bad variable at once so one restart fixes them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: ConfigProblem[];
  /** A list of problems, or an already formatted message for checks made outside loadConfig. */
  constructor(problems: ConfigProblem[] | string) {
    super(
      typeof problems === 'string'
        ? problems
        : `Invalid configuration:\n${problems.map((p) => `  ${p.key}: ${p.message}${gotSuffix(p.value)}`).join('\n')}`,
    );
    this.problems = typeof problems === 'string' ? [] : problems;
  }
}

const gotSuffix = (value: string | undefined): string =>
  value === undefined ? '' : ` (got ${JSON.stringify(redactUrl(value))})`;

// A config error usually ends up in logs; a URL's password must not.
const redactUrl = (value: string): string => value.replace(/(\/\/[^:@/\s]*):[^@/\s]+@/g, '$1:***@');

/** Annotation read by loadConfig for the human-readable reason a field is invalid. */
const ERROR_MESSAGE = 'errorMessage';

const urlWithProtocols = (protocols: string[], value: string): boolean => {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
};

const protocolList = (protocols: string[]): string => {
  const names = protocols.map((p) => `${p}//`);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
};

/** A string that must parse as a URL with one of the given protocols (e.g. `['postgres:', 'postgresql:']`). */
export const urlField = (protocols: string[], options: { default?: string } = {}) => {
  const message = `must be a ${protocolList(protocols)} URL`;
  return Type.Refine(
    Type.String({ ...options, [ERROR_MESSAGE]: message }),
    (value) => urlWithProtocols(protocols, value),
    () => message,
  );
};

/** A comma-separated list of URLs, each with one of the given protocols. */
export const urlListField = (protocols: string[]) => {
  const message = `must be a comma-separated list of ${protocolList(protocols)} URLs`;
  return Type.Refine(
    Type.String({ [ERROR_MESSAGE]: message }),
    (value) => {
      const items = value.split(',').map((s) => s.trim());
      return items.length > 0 && items.every((item) => urlWithProtocols(protocols, item));
    },
    () => message,
  );
};

/** An integer within bounds, with the same message everywhere it is refused. */
export const integerField = (minimum: number, maximum: number, defaultValue?: number) =>
  Type.Integer({
    minimum,
    maximum,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
    [ERROR_MESSAGE]: `must be an integer from ${minimum} to ${maximum}`,
  });

const TRUST_PROXY_MESSAGE =
  'must be a comma-separated list of the proxies’ addresses or CIDR ranges (loopback, linklocal and uniquelocal name the usual ones), or false';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Field schemas shared by services, so the same variable is validated the same way everywhere. */
export const ConfigFields = {
  PORT: integerField(0, 65535),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  DATABASE_URL: Type.Optional(urlField(['postgres:', 'postgresql:'])),
  NATS_URL: Type.Optional(urlListField(['nats:', 'tls:', 'ws:', 'wss:'])),
  SMTP_URL: Type.Optional(urlField(['smtp:', 'smtps:'])),
  MAIL_FROM: Type.String({ default: 'no-reply@localhost', minLength: 1 }),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  PUBLIC_URL: Type.Optional(urlField(['http:', 'https:'])),
  ADMIN_EMAILS: Type.Optional(Type.String()),
  LOG_LEVEL: Type.Union(
    LOG_LEVELS.map((level) => Type.Literal(level)),
    { default: 'info', [ERROR_MESSAGE]: `must be one of ${LOG_LEVELS.join(', ')}` },
  ),
  BUS_NAMESPACE: Type.String({
    default: 'parley',
    pattern: '^[a-z][a-z0-9_-]{0,30}$',
    [ERROR_MESSAGE]:
      'must start with a lowercase letter followed by up to 30 of a-z, 0-9, _ or - (pattern ^[a-z][a-z0-9_-]{0,30}$)',
  }),
  NATS_STREAM_REPLICAS: integerField(1, 5, 1),
  /**
   * Postgres connections one process may hold. Copies × services × this must stay under the server's
   * max_connections (100 by default): 10 processes at 10 each already reach it.
   */
  DATABASE_POOL_MAX: integerField(1, 100, 10),
  /** Where upload bytes live: `fs` under DATA_DIR/blobs, or `nats` (JetStream Object Store, needs NATS_URL). */
  BLOB_STORE: Type.Union([Type.Literal('fs'), Type.Literal('nats')], {
    default: 'fs',
    [ERROR_MESSAGE]: 'must be fs or nats',
  }),
  /**
   * The proxies in front of a public server whose `X-Forwarded-For` tells the client's address (login history,
   * rate limits): their addresses or CIDR ranges (parseTrustProxy). Unset: none.
   */
  TRUST_PROXY: Type.Optional(
    Type.Refine(
      Type.String(),
      (value) => {
        try {
          parseTrustProxy(value);
          return true;
        } catch {
          return false;
        }
      },
      () => TRUST_PROXY_MESSAGE,
    ),
  ),
  /** Access tokens: the auth service signs with these claims and the gateway requires them. */
  JWT_ISSUER: Type.String({ default: 'parley', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'parley-api', minLength: 1 }),
};

export type LogLevel = (typeof LOG_LEVELS)[number];

/** The fields every service reads; `defaultPort` is the service's own port when PORT is unset. */
export const baseServiceConfig = (defaultPort: number) =>
  Type.Object({
    PORT: integerField(0, 65535, defaultPort),
    HOST: ConfigFields.HOST,
    DATABASE_URL: ConfigFields.DATABASE_URL,
    NATS_URL: ConfigFields.NATS_URL,
    DATA_DIR: ConfigFields.DATA_DIR,
    LOG_LEVEL: ConfigFields.LOG_LEVEL,
    BUS_NAMESPACE: ConfigFields.BUS_NAMESPACE,
    NATS_STREAM_REPLICAS: ConfigFields.NATS_STREAM_REPLICAS,
    DATABASE_POOL_MAX: ConfigFields.DATABASE_POOL_MAX,
  });

export type BaseServiceConfig = Static<ReturnType<typeof baseServiceConfig>>;

/** `extendConfig(baseServiceConfig(3001), { SMTP_URL: ConfigFields.SMTP_URL })`; later fields win. */
export const extendConfig = <B extends TObject, P extends TProperties>(base: B, properties: P) =>
  Type.Object({ ...base.properties, ...properties } as Omit<B['properties'], keyof P> & P);

const isIntegerString = (value: string): boolean => /^[+-]?\d+$/.test(value.trim());
const isNumberString = (value: string): boolean => value.trim() !== '' && Number.isFinite(Number(value));

// Value.Convert would turn "1.5" into 1 for an integer and "12abc" into something; refusing is clearer.
const convert = (schema: TSchema, raw: string): unknown => {
  const type = (schema as { type?: unknown }).type;
  if (type === 'integer' && !isIntegerString(raw)) return raw;
  if (type === 'number' && !isNumberString(raw)) return raw;
  return Value.Convert(schema, raw.trim() === raw ? raw : raw.trim());
};

const describeFailure = (schema: TSchema, value: unknown): string => {
  const custom = (schema as Record<string, unknown>)[ERROR_MESSAGE];
  if (typeof custom === 'string') return custom;
  if ((schema as { type?: unknown }).type === 'boolean') return 'must be true or false';
  const errors = Value.Errors(schema, value);
  const refined = errors.find((e) => e.keyword === '~refine');
  if (refined) return refined.message;
  const messages = [...new Set(errors.filter((e) => e.keyword !== 'anyOf').map((e) => e.message))];
  return messages.length > 0 ? messages.join('; ') : 'is invalid';
};

/**
 * Reads only the variables the schema names: empty strings count as unset, defaults apply,
 * numbers and booleans are converted, and every problem is reported together in one ConfigError.
 */
export const loadConfig = <S extends TObject>(schema: S, env: Record<string, string | undefined> = process.env): Static<S> => {
  const required = new Set<string>(schema.required ?? []);
  const raw: Record<string, string | undefined> = {};
  const converted: Record<string, unknown> = {};
  for (const [key, fieldSchema] of Object.entries(schema.properties)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    raw[key] = value;
    converted[key] = convert(fieldSchema, value);
  }
  const config = Value.Default(schema, converted) as Record<string, unknown>;
  if (Value.Check(schema, config)) return config as Static<S>;

  const problems: ConfigProblem[] = [];
  for (const [key, fieldSchema] of Object.entries(schema.properties)) {
    const value = config[key];
    if (value === undefined) {
      if (required.has(key)) problems.push({ key, message: 'is required but not set', value: undefined });
      continue;
    }
    if (!Value.Check(fieldSchema, value)) problems.push({ key, message: describeFailure(fieldSchema, value), value: raw[key] });
  }
  if (problems.length === 0) problems.push({ key: '(config)', message: describeFailure(schema, config), value: undefined });
  throw new ConfigError(problems);
};
