import { createOutboxMailer } from './outbox.ts';
import { createSmtpMailer } from './smtp.ts';
import type { Mailer, MailerOptions } from './types.ts';

export { outboxDir } from './outbox.ts';
export { MailSendError } from './smtp.ts';
export { parseSmtpUrl, type SmtpEndpoint } from './smtp-url.ts';

/**
 * SMTP (pooled) when `smtpUrl` is set; otherwise each message becomes an `.eml` file in
 * `${dataDir}/outbox/` (a temp folder for `memory://`) plus one log line without the body.
 */
export const createMailer = (options: MailerOptions): Mailer =>
  options.smtpUrl
    ? createSmtpMailer({ smtpUrl: options.smtpUrl, from: options.from, logger: options.logger })
    : createOutboxMailer({ from: options.from, dataDir: options.dataDir, logger: options.logger });
