import type { Logger } from '../logger.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SentMail {
  messageId: string;
  /** Where it went: the SMTP server, or the .eml file in the outbox. */
  via: 'smtp' | 'outbox';
  path?: string;
}

/** Sends mail through nodemailer: SMTP when `SMTP_URL` is set, else an .eml file in `DATA_DIR/outbox/` (and a log line). */
export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  send(message: MailMessage): Promise<SentMail>;
  close(): Promise<void>;
}

export interface MailerOptions {
  smtpUrl?: string | undefined;
  from: string;
  /** The outbox is `${dataDir}/outbox`; with `memory://` an OS temp folder is used. */
  dataDir: string;
  logger: Logger;
}

/** The message as nodemailer takes it: always both a text and an HTML part. */
export const toNodemailer = (from: string, message: MailMessage) => ({
  from,
  to: message.to,
  subject: message.subject,
  text: message.text,
  html: message.html,
});
