import type { Mailer, MailMessage } from '@parley/kit';
import { unavailable } from '../errors.ts';

/** Sends one mail; a mail that cannot be sent fails the operation that promised it (503). */
export const sendMail = async (mailer: Mailer, message: MailMessage): Promise<void> => {
  try {
    await mailer.send(message);
  } catch (err) {
    throw unavailable('Mail delivery', err);
  }
};
