import { NotifyEndpoints } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { newMail, rowOf, startMailWorld } from './helpers/mail.ts';

describe('mail with several copies of the service', () => {
  it('sends each mail exactly once, whichever copy takes it', async () => {
    const world = await startMailWorld({ MAIL_MAX_ATTEMPTS: '50' });
    let closed = false;
    try {
      await world.startCopy();
      const mails = Array.from({ length: 20 }, (_, i) => newMail(`copy${i}`));
      await Promise.all(mails.map((mail) => world.call(NotifyEndpoints.sendMail, mail)));
      for (const mail of mails) await world.smtp.waitFor((m) => m.to.includes(mail.to), 20_000);
      await expect
        .poll(async () => (await Promise.all(mails.map((m) => rowOf(world, m.id)))).every((r) => r?.status === 'sent'), {
          timeout: 20_000,
        })
        .toBe(true);
      const rows = await Promise.all(mails.map((m) => rowOf(world, m.id)));
      expect(rows.map((r) => r?.attempts)).toEqual(mails.map(() => 1));
      // Closing waits for every send under way: anything sent twice has arrived by then.
      await world.close();
      closed = true;
      for (const mail of mails) expect(world.smtp.messages.filter((m) => m.to.includes(mail.to))).toHaveLength(1);
      expect(world.smtp.messages).toHaveLength(20);
    } finally {
      if (!closed) await world.close();
    }
  });
});
