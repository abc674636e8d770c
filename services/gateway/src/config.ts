import { DefaultPorts, MediaKinds, type UploadLimitVariable, uploadLimitVariable } from '@parley/contracts';
import { baseServiceConfig, ConfigFields, integerField, loadConfig } from '@parley/kit';
import { type Static, type TInteger, type TOptional, Type } from 'typebox';
import { parseCompatDialects } from './compat/config.ts';

/** `UPLOAD_LIMIT_<KIND>_BYTES`, the same variables the media service reads: the gateway enforces them while streaming. */
const uploadLimits = Object.fromEntries(
  MediaKinds.map((kind) => [uploadLimitVariable(kind), Type.Optional(integerField(1, 64 * 1024 ** 3))]),
) as unknown as Record<UploadLimitVariable, TOptional<TInteger>>;

export const GatewayConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts.gateway).properties,
  PUBLIC_URL: ConfigFields.PUBLIC_URL,
  TRUST_PROXY: ConfigFields.TRUST_PROXY,
  ADMIN_EMAILS: ConfigFields.ADMIN_EMAILS,
  /** How long the gateway waits for a service before answering 504. */
  BUS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 5_000 }),
  /** The `iss` and `aud` access tokens must carry: the auth service signs with the same values. */
  JWT_ISSUER: ConfigFields.JWT_ISSUER,
  JWT_AUDIENCE: ConfigFields.JWT_AUDIENCE,
  BLOB_STORE: ConfigFields.BLOB_STORE,
  ...uploadLimits,
  /**
   * Origins allowed to open the WebSocket, comma-separated (`*`: any). Unset: PUBLIC_URL's origin.
   * Requests without an Origin header (not from a browser) are not checked: the token is what counts.
   */
  WS_ALLOWED_ORIGINS: Type.Optional(Type.String({ minLength: 1 })),
  /** A socket whose unsent data passes this is closed (4008): a slow reader cannot grow the gateway. */
  WS_MAX_BUFFERED_BYTES: integerField(16 * 1024, 256 * 1024 * 1024, 1024 * 1024),
  /** Ping period; a socket that has not answered the previous ping by the next one is dropped. */
  WS_PING_INTERVAL_MS: integerField(100, 600_000, 30_000),
  /** Where the seed dialects are served (compat/config.ts): unset, all five under `/compat/<name>`. */
  COMPAT_DIALECTS: Type.Optional(Type.String()),
});
export type GatewayConfig = Static<typeof GatewayConfigSchema>;

export const loadGatewayConfig = (env: NodeJS.ProcessEnv = process.env): GatewayConfig => {
  const config = loadConfig(GatewayConfigSchema, env);
  parseCompatDialects(config.COMPAT_DIALECTS); // a bad value stops the start, naming the entry
  return config;
};
