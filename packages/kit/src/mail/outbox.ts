import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../logger.ts';
import { type Mailer, type MailMessage, type SentMail, toNodemailer } from './types.ts';

/** `${dataDir}/outbox`, or a per-process folder under the OS temp dir for `memory://`. */
export const outboxDir = (dataDir: string): string =>
  dataDir === 'memory://' ? join(tmpdir(), `parley-outbox-${process.pid}`) : join(dataDir, 'outbox');

/** `<Message-ID>` → something safe in a file name. */
const sanitizeMessageId = (messageId: string): string =>
  messageId
    .replace(/^<|>$/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, 120) || 'message';

/** An ISO timestamp usable as a file name everywhere (`:` → `-`); it still sorts by time. */
const fileTimestamp = (date: Date): string => date.toISOString().replace(/:/g, '-');

/**
 * Builds the real MIME message with nodemailer's stream transport and writes it as an RFC 822 `.eml`
 * file, atomically (temp file + rename) so a reader polling the folder never sees half a message.
 */
export const createOutboxMailer = (options: { from: string; dataDir: string; logger: Logger }): Mailer => {
  const dir = outboxDir(options.dataDir);
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let ready: Promise<unknown> | undefined;

  return {
    kind: 'outbox',
    async send(message: MailMessage): Promise<SentMail> {
      ready ??= mkdir(dir, { recursive: true }).catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      await ready;
      const info = await transport.sendMail(toNodemailer(options.from, message));
      const raw = info.message;
      if (!Buffer.isBuffer(raw)) throw new Error('nodemailer stream transport did not return a buffer');
      const name = `${fileTimestamp(new Date())}-${sanitizeMessageId(info.messageId)}.eml`;
      const path = join(dir, name);
      const tmp = join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, raw, { mode: 0o600 });
        await rename(tmp, path);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
      // Never the body: it carries verification codes and links.
      options.logger.info({ to: message.to, subject: message.subject, path }, 'mail written to outbox');
      return { messageId: info.messageId, via: 'outbox', path };
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
};
