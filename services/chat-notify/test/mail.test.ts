import { ChatEvents, NotifyEndpoints } from '@parley/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MailWorld, mailEvents, metric, metricsText, newMail, rowOf, settled, startMailWorld } from './helpers/mail.ts';

describe('mail over SMTP', () => {
  let world: MailWorld;
  beforeAll(async () => {
    world = await startMailWorld({ MAIL_MAX_ATTEMPTS: '50' });
  });
  afterEach(async () => {
    world.smtp.refuseNext(0);
    await world.smtp.start();
  });
  afterAll(() => world?.close());

  it('sends a queued mail, then keeps no body and records that it went', async () => {
    const mail = newMail();
    expect(await world.call(NotifyEndpoints.sendMail, mail)).toEqual({ queued: true });
    const got = await world.smtp.waitFor((m) => m.to.includes(mail.to), 20_000);
    expect(got).toMatchObject({ from: 'parley@example.test', subject: mail.subject, text: expect.stringContaining('123456') });
    expect(got.html).toContain('<b>123456</b>');

    const row = await settled(world, mail.id);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, text: null, html: null, lastError: null });
    expect(row.sentAt).toBeInstanceOf(Date);
    await expect.poll(() => mailEvents(world, ChatEvents.mailSent.type, mail.id).length, { timeout: 15_000 }).toBe(1);
    const [event] = mailEvents(world, ChatEvents.mailSent.type, mail.id);
    expect(event!.data).toEqual({ mailId: mail.id, attempts: 1 });
    expect(JSON.stringify(event)).not.toContain('123456');
  });

  it('retries a mail the server refuses for now, and delivers it on the third attempt', async () => {
    const failuresBefore = metric(await metricsText(world), 'parley_mail_send_failures_total');
    world.smtp.refuseNext(2);
    const mail = newMail('retry');
    await world.call(NotifyEndpoints.sendMail, mail);
    await world.smtp.waitFor((m) => m.to.includes(mail.to), 20_000);
    expect(world.smtp.refused).toBeGreaterThanOrEqual(2);
    expect(await settled(world, mail.id)).toMatchObject({ status: 'sent', attempts: 3 });
    const text = await metricsText(world);
    expect(metric(text, 'parley_mail_send_failures_total')).toBe(failuresBefore + 2);
    expect(metric(text, 'parley_mail_sent_total{via="smtp"}')).toBeGreaterThanOrEqual(2);
  });

  it('keeps a mail while the server is down and sends it once it is back', async () => {
    await world.smtp.stop();
    const mail = newMail('down');
    await world.call(NotifyEndpoints.sendMail, mail);
    await expect.poll(async () => (await rowOf(world, mail.id))?.attempts ?? 0, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    const waiting = (await rowOf(world, mail.id))!;
    expect(waiting.status).toBe('pending');
    expect(waiting.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(metric(await metricsText(world), 'parley_mail_queue_pending')).toBeGreaterThanOrEqual(1);

    await world.smtp.start();
    await world.smtp.waitFor((m) => m.to.includes(mail.to), 20_000);
    expect((await settled(world, mail.id)).status).toBe('sent');
  });

  it('stops at once when the server refuses the message for good (5xx)', async () => {
    world.smtp.refuseNext(1, 554);
    const mail = newMail('rejected');
    await world.call(NotifyEndpoints.sendMail, mail);
    const row = await settled(world, mail.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.lastError).toContain('554');
    await expect.poll(() => mailEvents(world, ChatEvents.mailFailed.type, mail.id).length, { timeout: 15_000 }).toBe(1);
  });

  it('queues the same id once, however often it is sent', async () => {
    const mail = newMail('once');
    await Promise.all([world.call(NotifyEndpoints.sendMail, mail), world.call(NotifyEndpoints.sendMail, mail)]);
    await settled(world, mail.id);
    expect(await world.call(NotifyEndpoints.sendMail, { ...mail, subject: 'changed' })).toEqual({ queued: true });
    // A later mail has gone out too: nothing more is on its way for the first.
    const marker = newMail('marker');
    await world.call(NotifyEndpoints.sendMail, marker);
    await world.smtp.waitFor((m) => m.to.includes(marker.to), 20_000);
    expect(world.smtp.messages.filter((m) => m.to.includes(mail.to))).toHaveLength(1);
    expect(await rowOf(world, mail.id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('refuses a mail that is not one (bad address, header injection) and queues nothing', async () => {
    for (const to of ['not-an-address', 'a@example.test\r\nBcc: victim@example.test']) {
      const mail = { ...newMail(), to };
      const err = await world.fail(NotifyEndpoints.sendMail, mail);
      expect([err.code, err.status]).toEqual(['VALIDATION_FAILED', 400]);
      expect(await rowOf(world, mail.id)).toBeUndefined();
    }
  });
});

describe('mail that cannot be delivered', () => {
  let world: MailWorld;
  beforeAll(async () => {
    world = await startMailWorld({ MAIL_MAX_ATTEMPTS: '3' });
  });
  afterAll(() => world?.close());

  it('gives up after MAIL_MAX_ATTEMPTS, says so, and keeps the mail for an operator', async () => {
    const log = world.app.parley.log;
    const warn = vi.spyOn(log, 'warn');
    const error = vi.spyOn(log, 'error');
    world.smtp.refuseNext(Number.POSITIVE_INFINITY);
    const mail = newMail('never');
    await world.call(NotifyEndpoints.sendMail, mail);
    const row = await settled(world, mail.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, sentAt: null, text: mail.text });
    expect(row.lastError).toContain('451');
    await expect.poll(() => mailEvents(world, ChatEvents.mailFailed.type, mail.id).length, { timeout: 15_000 }).toBe(1);
    expect(mailEvents(world, ChatEvents.mailFailed.type, mail.id)[0]!.data).toMatchObject({ mailId: mail.id, attempts: 3 });
    const text = await metricsText(world);
    expect(metric(text, 'parley_mail_given_up_total')).toBe(1);
    expect(metric(text, 'parley_mail_send_failures_total')).toBe(3);
    expect(metric(text, 'parley_mail_queue_pending')).toBe(0);
    expect(world.smtp.messages).toEqual([]);

    // Each failed attempt is a warning and the last an error: which mail, which attempt, why — never the body.
    const lines = [...warn.mock.calls, ...error.mock.calls].filter(
      ([fields]) => (fields as { mailId?: string }).mailId === mail.id,
    );
    expect(lines.map(([fields, message]) => [(fields as { attempt: number }).attempt, message])).toEqual([
      [1, 'mail: send failed, will retry'],
      [2, 'mail: send failed, will retry'],
      [3, 'mail: giving up'],
    ]);
    for (const [fields] of lines) expect((fields as { error: string }).error).toContain('451');
    expect(JSON.stringify(lines)).not.toContain('123456');
    expect(JSON.stringify(lines)).not.toContain(mail.subject);
  });
});
