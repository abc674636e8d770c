import { NotifyEndpoints } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { MailQueue } from '../services/mail-queue.ts';

/** Mail for the other services: the bus has checked the address and sizes against MailMessage. */
export const serveMail = (kit: ServiceKit, queue: MailQueue): void => {
  kit.serve(NotifyEndpoints.sendMail, (mail) => queue.enqueue(mail));
};
