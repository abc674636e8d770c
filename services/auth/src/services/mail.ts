import { randomUUID } from 'node:crypto';
import { NotifyEndpoints } from '@parley/contracts';
import type { Bus, MailMessage } from '@parley/kit';
import { unavailable } from '../errors.ts';

/** Where auth's mail goes: chat-notify's durable mail queue, over the bus. */
export interface MailQueue {
  send(message: MailMessage): Promise<void>;
}

/**
 * Mail is chat-notify's: it stores each one before answering and retries the sending with backoff.
 * The id makes the request safe to repeat, so a lost reply is retried rather than failing the operation.
 */
export const busMailQueue = (bus: Bus, timeoutMs = 5_000): MailQueue => ({
  async send(message) {
    await bus.request(NotifyEndpoints.sendMail, { id: randomUUID(), ...message }, { timeoutMs, retries: 2 });
  },
});

/** Queues one mail; a mail that cannot even be queued fails the operation that promised it (503). */
export const sendMail = async (mailer: MailQueue, message: MailMessage): Promise<void> => {
  try {
    await mailer.send(message);
  } catch (err) {
    throw unavailable('Mail delivery', err);
  }
};
