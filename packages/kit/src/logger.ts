import { type Logger, type LoggerOptions, pino } from 'pino';
import { currentRequestId } from './context.ts';

export type { Logger } from 'pino';

/** pino with the current request id on every line, so one request reads across services. */
export const createLogger = (options: { service: string; level?: string }): Logger => {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service },
    mixin: () => {
      const reqId = currentRequestId();
      return reqId ? { reqId } : {};
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.refreshToken', '*.code'],
      censor: '[redacted]',
    },
  };
  return pino(opts);
};
