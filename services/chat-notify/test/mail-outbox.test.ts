import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotifyEndpoints } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatWorld, startChat } from './helpers/harness.ts';
import { metric, metricsText, newMail, settled } from './helpers/mail.ts';

describe('mail without SMTP_URL', () => {
  let world: ChatWorld;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-chat-outbox-'));
    world = await startChat({ DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await world?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes each mail as an .eml file in DATA_DIR/outbox', async () => {
    const mail = newMail('outbox');
    await world.call(NotifyEndpoints.sendMail, mail);
    expect(await settled(world, mail.id)).toMatchObject({ status: 'sent', attempts: 1, text: null });
    const files = (await readdir(join(dataDir, 'outbox'))).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const eml = await readFile(join(dataDir, 'outbox', files[0]!), 'utf8');
    expect(eml).toContain(`To: ${mail.to}`);
    expect(eml).toContain(`Subject: ${mail.subject}`);
    expect(eml).toContain('123456');
    expect(metric(await metricsText(world), 'parley_mail_sent_total{via="outbox"}')).toBe(1);
  });
});
