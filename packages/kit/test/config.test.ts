import { Type } from 'typebox';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { baseServiceConfig, ConfigError, ConfigFields, extendConfig, loadConfig } from '../src/config.ts';
import { parseTrustProxy } from '../src/runtime/fastify-options.ts';

const schema = extendConfig(baseServiceConfig(3001), {
  SMTP_URL: ConfigFields.SMTP_URL,
  MAIL_FROM: ConfigFields.MAIL_FROM,
  PUBLIC_URL: ConfigFields.PUBLIC_URL,
  ADMIN_EMAILS: ConfigFields.ADMIN_EMAILS,
  SIGNUP_OPEN: Type.Boolean({ default: false }),
});

const errorOf = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('applies defaults when nothing is set', () => {
    const config = loadConfig(schema, {});
    expect(config).toEqual({
      PORT: 3001,
      HOST: '0.0.0.0',
      DATA_DIR: './data',
      LOG_LEVEL: 'info',
      BUS_NAMESPACE: 'parley',
      NATS_STREAM_REPLICAS: 1,
      DATABASE_POOL_MAX: 10,
      MAIL_FROM: 'no-reply@localhost',
      SIGNUP_OPEN: false,
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('converts numbers and booleans and keeps valid URLs', () => {
    const config = loadConfig(schema, {
      PORT: '8080',
      NATS_STREAM_REPLICAS: '3',
      SIGNUP_OPEN: 'true',
      DATABASE_URL: 'postgresql://app:pw@db.internal:5433/parley',
      NATS_URL: 'nats://a:4222, tls://b:4222,ws://c:8080',
      SMTP_URL: 'smtps://mail.example.com:465',
      PUBLIC_URL: 'https://chat.example.com',
      LOG_LEVEL: 'debug',
      BUS_NAMESPACE: 'staging_2',
    });
    expect(config.PORT).toBe(8080);
    expect(config.NATS_STREAM_REPLICAS).toBe(3);
    expect(config.SIGNUP_OPEN).toBe(true);
    expect(config.DATABASE_URL).toBe('postgresql://app:pw@db.internal:5433/parley');
    expect(config.LOG_LEVEL).toBe('debug');
    expectTypeOf(config.PORT).toEqualTypeOf<number>();
    expectTypeOf(config.SIGNUP_OPEN).toEqualTypeOf<boolean>();
    expectTypeOf(config.DATABASE_URL).toEqualTypeOf<string | undefined>();
  });

  it('treats an empty string as unset', () => {
    const config = loadConfig(schema, { PORT: '', DATABASE_URL: '', LOG_LEVEL: '', SIGNUP_OPEN: '' });
    expect(config.PORT).toBe(3001);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.SIGNUP_OPEN).toBe(false);
  });

  it('reads only the variables the schema names', () => {
    const config = loadConfig(baseServiceConfig(3000), { UNRELATED: 'x', SMTP_URL: 'not checked here' });
    expect(config).not.toHaveProperty('UNRELATED');
    expect(config).not.toHaveProperty('SMTP_URL');
  });

  it('names every bad variable in one message, with the value given', () => {
    const error = errorOf(() =>
      loadConfig(schema, { PORT: 'abc', DATABASE_URL: 'mysql://x', NATS_URL: 'nats://ok:4222,http://bad', LOG_LEVEL: 'loud' }),
    );
    expect(error.message).toBe(
      [
        'Invalid configuration:',
        '  PORT: must be an integer from 0 to 65535 (got "abc")',
        '  DATABASE_URL: must be a postgres:// or postgresql:// URL (got "mysql://x")',
        '  NATS_URL: must be a comma-separated list of nats://, tls://, ws:// or wss:// URLs (got "nats://ok:4222,http://bad")',
        '  LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      ].join('\n'),
    );
    expect(error.problems.map((p) => p.key)).toEqual(['PORT', 'DATABASE_URL', 'NATS_URL', 'LOG_LEVEL']);
  });

  it('rejects a DATABASE_URL that is not a URL at all', () => {
    const error = errorOf(() => loadConfig(schema, { DATABASE_URL: 'not a url' }));
    expect(error.message).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL (got "not a url")');
  });

  it('rejects out-of-range and fractional numbers instead of rounding them', () => {
    const error = errorOf(() => loadConfig(schema, { PORT: '1.5', NATS_STREAM_REPLICAS: '9', SIGNUP_OPEN: 'maybe' }));
    expect(error.message).toContain('PORT: must be an integer from 0 to 65535 (got "1.5")');
    expect(error.message).toContain('NATS_STREAM_REPLICAS: must be an integer from 1 to 5 (got "9")');
    expect(error.message).toContain('SIGNUP_OPEN: must be true or false (got "maybe")');
  });

  it('checks the remaining shared fields', () => {
    const error = errorOf(() =>
      loadConfig(schema, { SMTP_URL: 'http://mail', PUBLIC_URL: 'ftp://x', BUS_NAMESPACE: 'Parley', PORT: '70000' }),
    );
    expect(error.problems.map((p) => p.key).sort()).toEqual(['BUS_NAMESPACE', 'PORT', 'PUBLIC_URL', 'SMTP_URL']);
    expect(error.message).toContain('SMTP_URL: must be a smtp:// or smtps:// URL (got "http://mail")');
    expect(error.message).toContain('PUBLIC_URL: must be a http:// or https:// URL (got "ftp://x")');
  });

  it('reports required variables that are missing and hides URL passwords', () => {
    const withSecret = extendConfig(baseServiceConfig(3000), { JWT_SECRET: Type.String({ minLength: 16 }) });
    const error = errorOf(() => loadConfig(withSecret, { DATABASE_URL: 'mysql://app:hunter2@db/x' }));
    expect(error.message).toContain('JWT_SECRET: is required but not set');
    expect(error.message).toContain('(got "mysql://app:***@db/x")');
    expect(error.message).not.toContain('hunter2');
  });

  it('lets a service override a base field', () => {
    const custom = extendConfig(baseServiceConfig(3000), { LOG_LEVEL: Type.String({ default: 'warn' }) });
    expect(loadConfig(custom, {}).LOG_LEVEL).toBe('warn');
  });
});

describe('TRUST_PROXY', () => {
  const proxied = Type.Object({ TRUST_PROXY: ConfigFields.TRUST_PROXY });

  it('trusts no one unless told, and takes the proxies’ addresses', () => {
    for (const off of [undefined, '', 'false']) expect(parseTrustProxy(off)).toBe(false);
    expect(parseTrustProxy('loopback, 10.0.0.0/8,fd00::/8 ,192.0.2.7')).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.7',
    ]);
    expect(loadConfig(proxied, { TRUST_PROXY: 'uniquelocal' }).TRUST_PROXY).toBe('uniquelocal');
  });

  it('refuses what is not an address, a range or a name it knows, naming the variable', () => {
    // A hop count included: Fastify 5 would take it and then ignore every X-Forwarded-For.
    for (const bad of ['1', '0', 'true', 'everyone', '10.0.0.0/40', '300.1.1.1', 'loopback,,10.0.0.1']) {
      const error = errorOf(() => loadConfig(proxied, { TRUST_PROXY: bad }));
      expect(error.message).toContain('TRUST_PROXY: must be a comma-separated list of the proxies’ addresses');
      expect(error.message).toContain(`(got "${bad}")`);
    }
  });
});
