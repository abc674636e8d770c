import nodemailer from 'nodemailer';
import type { Logger } from '../logger.ts';
import { parseSmtpUrl, scrubCredentials } from './smtp-url.ts';
import { type Mailer, type MailMessage, type SentMail, toNodemailer } from './types.ts';

/** An error from an SMTP send: names the server (host:port), never the credentials. */
export class MailSendError extends Error {
  override readonly name = 'MailSendError';
  /** nodemailer's error code, e.g. `ECONNECTION`, `ETIMEDOUT`, `EAUTH`, `EENVELOPE`. */
  readonly code: string | undefined;
  readonly responseCode: number | undefined;
  constructor(message: string, code: string | undefined, responseCode: number | undefined) {
    super(message);
    this.code = code;
    this.responseCode = responseCode;
  }
}

/** A pooled SMTP transport from `smtp://` / `smtps://` URL. */
export const createSmtpMailer = (options: { smtpUrl: string; from: string; logger: Logger }): Mailer => {
  const endpoint = parseSmtpUrl(options.smtpUrl);
  const transport = nodemailer.createTransport({
    pool: true,
    url: options.smtpUrl,
    maxConnections: 5,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // A server that keeps dropping the connection fails the send after a couple of tries, not five.
    maxRequeues: 2,
  });
  let closed = false;

  return {
    kind: 'smtp',
    async send(message: MailMessage): Promise<SentMail> {
      if (closed) throw new Error(`Mailer for SMTP ${endpoint.label} is closed`);
      try {
        const info = await transport.sendMail(toNodemailer(options.from, message));
        options.logger.debug({ to: message.to, subject: message.subject, smtp: endpoint.label }, 'mail sent');
        return { messageId: info.messageId, via: 'smtp' };
      } catch (error) {
        const e = error as Error & { code?: unknown; responseCode?: unknown };
        const reason = scrubCredentials(e?.message ?? String(error), options.smtpUrl);
        throw new MailSendError(
          `Sending mail via SMTP ${endpoint.label} failed: ${reason}`,
          typeof e?.code === 'string' ? e.code : undefined,
          typeof e?.responseCode === 'number' ? e.responseCode : undefined,
        );
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      transport.close();
    },
  };
};
