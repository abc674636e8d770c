import { ChatEvents } from '@parley/contracts';
import { type Mailer, MailSendError, retryWhileDatabaseUnavailable } from '@parley/kit';
import type { MailRow } from '../db/schema/mail.ts';
import type { ChatDeps } from './deps.ts';
import { who } from './events.ts';
import type { MailMetrics } from './mail-metrics.ts';

/** Mails one copy takes at a time (the SMTP pool opens at most 5 connections). */
const BATCH = 10;
/**
 * A claimed mail is hidden from other copies this long: longer than any send can take (nodemailer's
 * timeouts), so only a copy that died mid-send lets another send it again.
 */
const LEASE_MS = 5 * 60_000;
/**
 * How long the outcome of a send waits for a database that is unavailable: recorded late rather than
 * not at all, which would send the mail again when the lease runs out. Well inside the lease.
 */
const OUTCOME_HOLD_MS = 30_000;

/** 5xx on the envelope or the message: the server will never take it, retrying cannot help. */
const isPermanent = (err: unknown): boolean =>
  err instanceof MailSendError &&
  (err.code === 'EENVELOPE' || err.code === 'EMESSAGE') &&
  err.responseCode !== undefined &&
  err.responseCode >= 500;

/**
 * Each copy's sending loop: woken by its own inserts and every MAIL_POLL_MS, it claims due mails,
 * sends them outside any transaction, then records the outcome (and its event, in one transaction).
 */
export const createMailSender = ({ repos, transaction, log, config }: ChatDeps, mailer: Mailer, metrics: MailMetrics) => {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;

  const backoffMs = (attempts: number): number =>
    Math.min(config.MAIL_RETRY_MAX_MS, config.MAIL_RETRY_BASE_MS * 2 ** (attempts - 1));

  const failed = async (row: MailRow, err: unknown): Promise<void> => {
    const error = err instanceof Error ? err.message : String(err);
    const giveUp = isPermanent(err) || row.attempts >= config.MAIL_MAX_ATTEMPTS;
    const retryInMs = backoffMs(row.attempts);
    await retryWhileDatabaseUnavailable(
      () =>
        transaction(async (tx) => {
          const marked = await tx.mail.markFailed(row.id, row.attempts, error, { giveUp, retryInMs });
          if (marked && giveUp) {
            await tx.events.stage(ChatEvents.mailFailed, { mailId: row.id, attempts: row.attempts, error }, who(null, null));
          }
        }),
      { maxWaitMs: OUTCOME_HOLD_MS },
    );
    metrics.failedAttempt();
    // Never the body or the subject: they carry codes and links.
    const fields = { mailId: row.id, attempt: row.attempts, error };
    if (!giveUp) {
      log.warn({ ...fields, retryInMs }, 'mail: send failed, will retry');
      return;
    }
    metrics.gaveUp();
    log.error(fields, 'mail: giving up');
  };

  const deliver = async (row: MailRow): Promise<void> => {
    let via: string;
    try {
      const message = { to: row.recipient, subject: row.subject, text: row.text ?? '', html: row.html ?? '' };
      via = (await mailer.send(message)).via;
    } catch (err) {
      await failed(row, err);
      return;
    }
    // Sent: if this write fails the lease runs out and it goes again (at least once, not exactly once).
    await retryWhileDatabaseUnavailable(
      () =>
        transaction(async (tx) => {
          if (await tx.mail.markSent(row.id)) {
            await tx.events.stage(ChatEvents.mailSent, { mailId: row.id, attempts: row.attempts }, who(null, null));
          }
        }),
      { maxWaitMs: OUTCOME_HOLD_MS },
    );
    metrics.sent(via);
    log.info({ mailId: row.id, attempt: row.attempts, via }, 'mail: sent');
  };

  const drain = async (): Promise<void> => {
    while (!stopped) {
      const rows = await repos.mail.claim(BATCH, LEASE_MS);
      const results = await Promise.allSettled(rows.map(deliver));
      for (const r of results) if (r.status === 'rejected') log.error({ err: r.reason }, 'mail: outcome not recorded');
      if (rows.length < BATCH) return;
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(run, config.MAIL_POLL_MS);
    timer.unref();
  };

  function run(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = drain()
      .catch((err) => log.warn({ err }, 'mail: queue not readable, trying again later'))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        } else schedule();
      });
  }

  return {
    start: run,
    /** Something was queued here: look now rather than at the next poll. */
    wake: run,
    /** Stops the loop and waits for the sends under way and their outcomes. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      while (running) await running;
    },
  };
};
export type MailSender = ReturnType<typeof createMailSender>;
