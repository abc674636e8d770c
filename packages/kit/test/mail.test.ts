import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type Logger, type Mailer, MailSendError, outboxDir } from '../src/index.ts';
import { extractCode, extractLink, type SmtpCapture, startSmtpCapture } from '../src/testing/index.ts';

/** A real pino logger whose lines are kept, to check what the mailer logs (and what it must not). */
const captureLogger = (): { logger: Logger; lines: string[] } => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
};

/** A loopback port nothing listens on: bound, then released. */
const deadPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

const FROM = 'Parley <no-reply@parley.test>';
const message = (to: string, code = '482913') => ({
  to,
  subject: `Your Parley code ${to}`,
  text: `Hello!\n\nYour verification code is ${code}.\nOr open https://parley.test/verify?token=abc123&u=1 to confirm.\n\nRef 1234567, year 2026.`,
  html: `<p>Hello!</p><p>Your verification code is <b>${code}</b>.</p><p><a href="https://parley.test/verify?token=abc123&amp;u=1">Confirm</a></p>`,
});

describe('createMailer over SMTP (a real SMTP conversation with the capture server)', () => {
  let capture: SmtpCapture;
  let mailer: Mailer;
  const log = captureLogger();

  beforeAll(async () => {
    capture = await startSmtpCapture();
    mailer = createMailer({ smtpUrl: capture.url, from: FROM, dataDir: 'memory://', logger: log.logger });
  });
  afterEach(() => capture.clear());
  afterAll(async () => {
    await mailer.close();
    await capture.close();
  });

  it('delivers subject, text, HTML, from and to', async () => {
    expect(mailer.kind).toBe('smtp');
    expect(capture.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    const sent = await mailer.send(message('alice@example.com'));
    expect(sent.via).toBe('smtp');
    expect(sent.path).toBeUndefined();
    expect(sent.messageId).toMatch(/^<.+@.+>$/);

    // The server acknowledges DATA only after parsing, so the message is there once send() resolved.
    expect(capture.messages).toHaveLength(1);
    const mail = capture.messages[0]!;
    expect(mail.from).toBe('no-reply@parley.test');
    expect(mail.to).toEqual(['alice@example.com']);
    expect(mail.subject).toBe('Your Parley code alice@example.com');
    expect(mail.text).toContain('Your verification code is 482913.');
    expect(mail.html).toContain('<b>482913</b>');
    expect(mail.date).toBeInstanceOf(Date);
    expect(Date.now() - mail.date.getTime()).toBeLessThan(60_000);
    expect(extractCode(mail)).toBe('482913');
    expect(extractLink(mail, '/verify')).toBe('https://parley.test/verify?token=abc123&u=1');
  });

  it('sends many messages concurrently over the pool', async () => {
    const recipients = Array.from({ length: 12 }, (_, i) => `user${i}@example.com`);
    const results = await Promise.all(recipients.map((to, i) => mailer.send(message(to, String(100000 + i)))));
    expect(new Set(results.map((r) => r.messageId)).size).toBe(recipients.length);
    expect(capture.messages.map((m) => m.to[0]).sort()).toEqual([...recipients].sort());
    const mail = await capture.waitFor((m) => m.to.includes('user7@example.com'));
    expect(extractCode(mail)).toBe('100007');
  });

  it('waitFor resolves with a message that arrives later', async () => {
    const waiting = capture.waitFor((m) => m.subject.includes('late@example.com'), 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await mailer.send(message('late@example.com'));
    const mail = await waiting;
    expect(mail.to).toEqual(['late@example.com']);
  });

  it('waitFor times out with a message listing what was received', async () => {
    await mailer.send(message('bob@example.com'));
    const started = Date.now();
    const error = await capture
      .waitFor((m) => m.subject === 'never sent', 300)
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/No matching mail arrived at smtp:\/\/127\.0\.0\.1:\d+ within 300 ms; received 1:/);
    expect(error!.message).toContain('to bob@example.com: "Your Parley code bob@example.com"');
  });

  it('waitFor on an empty capture says nothing was received', async () => {
    await expect(capture.waitFor(() => true, 100)).rejects.toThrow(/received 0:\n {2}\(none\)/);
  });
});

describe('createMailer with an outbox (no SMTP_URL)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-mail-test-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes an RFC 822 .eml file into DATA_DIR/outbox and logs a line without the body', async () => {
    const log = captureLogger();
    const mailer = createMailer({ from: FROM, dataDir, logger: log.logger });
    expect(mailer.kind).toBe('outbox');
    const sent = await mailer.send(message('carol@example.com', '771204'));
    await mailer.close();

    expect(sent.via).toBe('outbox');
    const files = await readdir(join(dataDir, 'outbox'));
    expect(files).toHaveLength(1); // no temp file left behind
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z-[A-Za-z0-9._-]+\.eml$/);
    expect(sent.path).toBe(join(dataDir, 'outbox', files[0]!));

    const raw = await readFile(sent.path!);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('Your Parley code carol@example.com');
    expect(parsed.from?.value[0]?.address).toBe('no-reply@parley.test');
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(to?.value.map((a) => a.address)).toEqual(['carol@example.com']);
    expect(parsed.messageId).toBe(sent.messageId);
    expect(parsed.text).toContain('Your verification code is 771204.');
    expect(parsed.html).toContain('<b>771204</b>');
    expect(raw.toString('latin1')).toMatch(/Content-Type: multipart\/alternative/i);

    const outboxLines = log.lines.filter((l) => l.includes('outbox'));
    expect(outboxLines).toHaveLength(1);
    const entry = JSON.parse(outboxLines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, to: 'carol@example.com', subject: 'Your Parley code carol@example.com' });
    expect(entry.path).toBe(sent.path);
    for (const line of log.lines) {
      expect(line).not.toContain('771204');
      expect(line).not.toContain('verification code');
      expect(line).not.toContain('token=abc123');
    }
  });

  it('keeps each message in its own file', async () => {
    const mailer = createMailer({ from: FROM, dataDir, logger: captureLogger().logger });
    const sent = await Promise.all(['d1@example.com', 'd2@example.com', 'd3@example.com'].map((to) => mailer.send(message(to))));
    expect(new Set(sent.map((s) => s.path)).size).toBe(3);
    const files = (await readdir(join(dataDir, 'outbox'))).filter((f) => f.endsWith('.eml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect((await readdir(join(dataDir, 'outbox'))).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('uses a folder under the OS temp dir for memory://', async () => {
    const mailer = createMailer({ from: FROM, dataDir: 'memory://', logger: captureLogger().logger });
    const sent = await mailer.send(message('dave@example.com'));
    try {
      expect(outboxDir('memory://')).toBe(join(tmpdir(), `parley-outbox-${process.pid}`));
      expect(sent.path!.startsWith(`${outboxDir('memory://')}/`)).toBe(true);
      const parsed = await simpleParser(await readFile(sent.path!));
      expect(parsed.subject).toBe('Your Parley code dave@example.com');
    } finally {
      await rm(outboxDir('memory://'), { recursive: true, force: true });
    }
  });
});

describe('createMailer when SMTP fails', () => {
  it('rejects naming the host when nothing listens on the port, within a few seconds', async () => {
    const port = await deadPort();
    const mailer = createMailer({
      smtpUrl: `smtp://mailuser:Sup3rS3cret@127.0.0.1:${port}`,
      from: FROM,
      dataDir: 'memory://',
      logger: captureLogger().logger,
    });
    const started = Date.now();
    const error = await mailer.send(message('erin@example.com')).then(
      () => undefined,
      (e: Error) => e,
    );
    await mailer.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(MailSendError);
    expect(error!.message).toContain(`SMTP 127.0.0.1:${port}`);
    expect(error!.message).not.toContain('Sup3rS3cret');
    expect(error!.message).not.toContain('mailuser');
    expect((error as MailSendError).code).toBeTypeOf('string');
  });

  it('rejects a URL that is not smtp:// or smtps://, without echoing it', () => {
    const logger = captureLogger().logger;
    expect(() => createMailer({ smtpUrl: 'http://u:pw123@mail.example.com', from: FROM, dataDir: 'memory://', logger })).toThrow(
      /smtp:\/\/ or smtps:\/\/ \(got http:\/\/\)/,
    );
  });

  it('refuses to send after close()', async () => {
    const capture = await startSmtpCapture();
    const mailer = createMailer({ smtpUrl: capture.url, from: FROM, dataDir: 'memory://', logger: captureLogger().logger });
    await mailer.send(message('frank@example.com'));
    await mailer.close();
    await expect(mailer.send(message('frank@example.com'))).rejects.toThrow(/closed/);
    await capture.close();
    expect(capture.messages).toHaveLength(1);
  });
});

describe('extractCode / extractLink', () => {
  const mail = {
    subject: 's',
    text: 'Order 1234567 on 2026-01-02. Code: 093817\nSee https://x.test/a, then https://x.test/reset/tok_9?x=1.',
  };
  it('finds the first standalone 6-digit number and the first matching URL', () => {
    expect(extractCode(mail)).toBe('093817');
    expect(extractCode({ subject: 's', text: 'Hello bench_20_837493,\n\nYour code is:\n\n401227\n' })).toBe('401227');
    expect(extractCode({ subject: 's', text: 'Code: 555123.' })).toBe('555123');
    expect(extractLink(mail, '/reset/')).toBe('https://x.test/reset/tok_9?x=1');
    expect(extractLink(mail, 'x.test')).toBe('https://x.test/a');
  });
  it('throws clearly when there is none', () => {
    expect(() => extractCode({ subject: 'Hi', text: 'no code 12345 here 1234567' })).toThrow(
      /No 6-digit code in the text of mail "Hi"/,
    );
    expect(() => extractCode({ subject: 'Hi', text: 'bob_123456 x-123456 123456@host v1.123456 123456.7' })).toThrow(
      /No 6-digit code/,
    );
    expect(() => extractLink(mail, '/verify')).toThrow(/No URL containing "\/verify"/);
  });
});
