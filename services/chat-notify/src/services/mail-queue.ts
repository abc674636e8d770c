import type { MailMessage } from '@parley/contracts';
import type { Static } from 'typebox';
import type { ChatDeps } from './deps.ts';

/** Takes a mail into the durable queue; the sender loops do the sending. */
export const createMailQueue = ({ repos, log }: Pick<ChatDeps, 'repos' | 'log'>, wake: () => void) => ({
  /**
   * Answers once the row is committed; the same id again changes nothing (the caller may retry).
   * Callers queue after their own transaction commits: on PGlite (one connection) a request from
   * inside one would wait for itself.
   */
  async enqueue(mail: Static<typeof MailMessage>): Promise<{ queued: true }> {
    const { id, to, subject, text, html } = mail;
    if (await repos.mail.insert({ id, recipient: to, subject, text, html })) {
      log.debug({ mailId: id }, 'mail: queued');
      wake();
    }
    return { queued: true };
  },
});
export type MailQueue = ReturnType<typeof createMailQueue>;
