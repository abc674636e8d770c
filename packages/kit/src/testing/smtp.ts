import type { AddressInfo } from 'node:net';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message received by the capture server, parsed. */
export interface CapturedMail {
  /** The sender's address from the `From:` header (falls back to the envelope's MAIL FROM). */
  from: string;
  /** The envelope recipients (RCPT TO), lower-cased as given. */
  to: string[];
  subject: string;
  text: string;
  /** The HTML part, or '' when the message has none. */
  html: string;
  date: Date;
}

export interface SmtpCapture {
  /** `smtp://127.0.0.1:<port>`: hand it to the code under test as SMTP_URL. */
  url: string;
  /** Every message received so far, oldest first. */
  messages: CapturedMail[];
  /** The first message (already received or still to come) that matches; rejects after `timeoutMs` listing what did arrive. */
  waitFor(predicate: (m: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  /** Forgets the messages received so far. */
  clear(): void;
  /**
   * Answers the next `count` messages (their DATA) with `code` — a temporary failure by default, as a
   * busy or greylisting server does — and keeps none of them. `Infinity` refuses until called again with 0.
   */
  refuseNext(count: number, code?: number): void;
  /** Messages refused so far by `refuseNext`. */
  readonly refused: number;
  /** Stops listening and drops open connections, as a server that went down; `url` stays the same. */
  stop(): Promise<void>;
  /** Listens again on the same port after `stop()`. */
  start(): Promise<void>;
  /** Stops the server (open client connections are dropped after a short grace) and rejects pending waits. */
  close(): Promise<void>;
}

interface Waiter {
  predicate: (m: CapturedMail) => boolean;
  resolve: (m: CapturedMail) => void;
  reject: (e: Error) => void;
}

const describeMail = (m: CapturedMail): string => `to ${m.to.join(', ') || '(nobody)'}: ${JSON.stringify(m.subject)}`;

const firstAddress = (from: AddressObject | undefined): string | undefined => from?.value[0]?.address;

/**
 * A real SMTP server on 127.0.0.1 (random port unless `port` is given, no auth, no TLS) that parses
 * and keeps every message, for tests that send mail the way production does.
 */
export const startSmtpCapture = async (options: { port?: number } = {}): Promise<SmtpCapture> => {
  const messages: CapturedMail[] = [];
  const waiters = new Set<Waiter>();
  let refusals = { left: 0, code: 451, done: 0 };

  const deliver = (mail: CapturedMail): void => {
    messages.push(mail);
    for (const waiter of [...waiters]) {
      let matches: boolean;
      try {
        matches = waiter.predicate(mail);
      } catch (error) {
        waiters.delete(waiter);
        waiter.reject(error as Error);
        continue;
      }
      if (matches) {
        waiters.delete(waiter);
        waiter.resolve(mail);
      }
    }
  };

  const refuse = (stream: NodeJS.ReadableStream, callback: (err?: Error | null) => void): void => {
    refusals.left -= 1;
    refusals.done += 1;
    const error = Object.assign(new Error('Try again later (refused by the test)'), { responseCode: refusals.code });
    // The DATA must be read to the end before the answer.
    stream.on('end', () => callback(error));
    stream.resume();
  };

  const createServer = () =>
    new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      banner: 'parley smtp capture',
      closeTimeout: 200,
      onData(stream, session, callback) {
        if (refusals.left > 0) return refuse(stream, callback);
        simpleParser(stream)
          .then((parsed) => {
            const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
            deliver({
              from: firstAddress(parsed.from) ?? envelopeFrom,
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              date: parsed.date ?? new Date(),
            });
            // Only now acknowledge the DATA: when the sender's send() resolves, the message is in `messages`.
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });

  const listen = async (port: number): Promise<SMTPServer> => {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    // A client dropping its connection mid-test must not crash the test process.
    server.on('error', () => {});
    return server;
  };

  const shut = (server: SMTPServer): Promise<void> => new Promise<void>((resolve) => server.close(() => resolve()));

  let server: SMTPServer | null = await listen(options.port ?? 0);
  const { port } = server.server.address() as AddressInfo;
  let closed: Promise<void> | undefined;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(predicate, timeoutMs = 5000) {
      for (const m of messages) if (predicate(m)) return Promise.resolve(m);
      return new Promise<CapturedMail>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = messages.length ? messages.map((m) => `  - ${describeMail(m)}`).join('\n') : '  (none)';
          reject(
            new Error(
              `No matching mail arrived at ${`smtp://127.0.0.1:${port}`} within ${timeoutMs} ms; received ${messages.length}:\n${seen}`,
            ),
          );
        }, timeoutMs);
        const waiter: Waiter = {
          predicate,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.add(waiter);
      });
    },
    clear() {
      messages.length = 0;
    },
    refuseNext(count, code = 451) {
      refusals = { ...refusals, left: count, code };
    },
    get refused() {
      return refusals.done;
    },
    async stop() {
      const running = server;
      server = null;
      if (running) await shut(running);
    },
    async start() {
      if (closed) throw new Error('SMTP capture is closed');
      server ??= await listen(port);
    },
    close() {
      closed ??= (async () => {
        for (const waiter of [...waiters]) waiter.reject(new Error('SMTP capture closed while waiting for mail'));
        waiters.clear();
        const running = server;
        server = null;
        if (running) await shut(running);
      })();
      return closed;
    },
  };
};

/**
 * The first standalone 6-digit number in the mail's text (a verification code): not part of a longer
 * number or of a word, name or address (`bob_123456`, `x-123456`, `123456@host` are skipped); throws when there is none.
 */
export const extractCode = (mail: Pick<CapturedMail, 'text' | 'subject'>): string => {
  const match = /(?<![\w.@-])\d{6}(?![\w@-]|\.\d)/.exec(mail.text);
  if (!match) throw new Error(`No 6-digit code in the text of mail ${JSON.stringify(mail.subject)}`);
  return match[0];
};

/** The first URL in the mail's text that contains `pathPart`; throws when there is none. */
export const extractLink = (mail: Pick<CapturedMail, 'text' | 'subject'>, pathPart: string): string => {
  const urls = mail.text.match(/https?:\/\/[^\s<>"'\])]+/g) ?? [];
  const url = urls.map((u) => u.replace(/[.,;:!?]+$/, '')).find((u) => u.includes(pathPart));
  if (!url) {
    throw new Error(
      `No URL containing ${JSON.stringify(pathPart)} in mail ${JSON.stringify(mail.subject)} (URLs found: ${urls.length ? urls.join(', ') : 'none'})`,
    );
  }
  return url;
};
