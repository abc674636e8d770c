import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@parley/contracts';
import { type SmtpCapture, startSmtpCapture } from '@parley/kit/testing';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { type MailRow, mailQueue } from '../../src/db/schema/mail.ts';
import { type ChatWorld, startChat } from './harness.ts';

export interface MailWorld extends ChatWorld {
  smtp: SmtpCapture;
}

/** chat-notify sending to a real SMTP server the test reads, retrying fast. */
export const startMailWorld = async (env: Record<string, string> = {}): Promise<MailWorld> => {
  const smtp = await startSmtpCapture();
  const world = await startChat({
    SMTP_URL: smtp.url,
    MAIL_FROM: 'parley@example.test',
    MAIL_RETRY_BASE_MS: '20',
    MAIL_RETRY_MAX_MS: '200',
    ...env,
  }).catch(async (err) => {
    await smtp.close();
    throw err;
  });
  world.onClose(() => smtp.close());
  return { ...world, smtp };
};

export const newMail = (tag = 'hello') => {
  const id = randomUUID();
  return {
    id,
    to: `${tag}-${id.slice(0, 8)}@example.test`,
    subject: `${tag} ${id.slice(0, 8)}`,
    text: 'Your code is 123456',
    html: '<p>Your code is <b>123456</b></p>',
  };
};

export const rowOf = async (world: ChatWorld, id: string): Promise<MailRow | undefined> => {
  const [row] = await world.app.parley.database().db.select().from(mailQueue).where(eq(mailQueue.id, id));
  return row;
};

/** The row once it has left `pending`. */
export const settled = async (world: ChatWorld, id: string): Promise<MailRow> => {
  await expect.poll(async () => (await rowOf(world, id))?.status, { timeout: 20_000 }).not.toBe('pending');
  return (await rowOf(world, id))!;
};

export const mailEvents = (world: ChatWorld, type: string, mailId: string): EventEnvelope[] =>
  world.events.filter((e) => e.type === type && (e.data as { mailId?: string }).mailId === mailId);

export const metricsText = async (world: ChatWorld): Promise<string> =>
  (await world.app.inject({ method: 'GET', url: '/metrics' })).body;

/** The value of a metric line, e.g. `parley_mail_sent_total{via="smtp"}`; 0 when absent. */
export const metric = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};
