import { FORBIDDEN_EVENT_FIELDS, type StoredEvent } from '@parley/contracts';
import { extractCode } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailTo, newUser } from './support/accounts.ts';
import { type AuditStack, eventFor, startAuditStack } from './support/audit.ts';
import { portrait } from './support/faces.ts';
import * as files from './support/media-files.ts';

/** Every string in a value, and every object key, with the path to it. */
const walk = (value: unknown, path: string, visit: (path: string, s: string, isKey: boolean) => void): void => {
  if (typeof value === 'string') visit(path, value, false);
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walk(v, `${path}[${i}]`, visit);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      visit(`${path}.${k}`, k, true);
      walk(v, `${path}.${k}`, visit);
    }
  }
};

// Long unbroken base64 (or hex) runs: bytes written as text. Ids and sha256 digests stay far shorter.
const BLOB = /[A-Za-z0-9+/]{120,}={0,2}/;
const IMAGE_MAGIC = /iVBORw0KGgo|\/9j\/4|UklGR|\x89PNG|\xff\xd8\xff/;

describe('what the audit log never keeps', () => {
  let as: AuditStack;
  const secrets: string[] = [];
  const codes: string[] = [];
  let userId: string;
  beforeAll(async () => {
    as = await startAuditStack();
  });
  afterAll(async () => as?.close());

  it('holds no password, mailed code, token or image bytes after every kind of account and upload action', async () => {
    const client = as.agent();
    const user = newUser('secretive');
    secrets.push(user.password);

    let mark = as.smtp.messages.length;
    await client.auth.register({ ...user, verify: 'code' });
    codes.push(extractCode(await mailTo(as.smtp, user.email, mark)));
    const verified = await client.auth.verifyEmail({ email: user.email, code: codes[0] as string });
    userId = verified.user.id;

    const byPassword = await client.auth.login({ login: user.email, password: user.password });
    mark = as.smtp.messages.length;
    await client.auth.requestLoginCode(user.email);
    codes.push(extractCode(await mailTo(as.smtp, user.email, mark)));
    const byCode = await client.auth.verifyLoginCode({ email: user.email, code: codes[1] as string });
    const refreshed = await client.auth.refresh(byCode.refreshToken);

    const me = as.agent(refreshed.accessToken);
    const newPassword = `${user.password}-Renewed-Twice`;
    secrets.push(newPassword);
    await me.users.changePassword({ currentPassword: user.password, newPassword });
    const newEmail = newUser('moved').email;
    mark = as.smtp.messages.length;
    await me.users.requestEmailChange(newEmail);
    codes.push(extractCode(await mailTo(as.smtp, newEmail, mark)));
    await me.users.confirmEmailChange(codes[2] as string);

    for (const t of [verified, byPassword, byCode, refreshed]) secrets.push(t.accessToken, t.refreshToken);

    await me.users.setAvatar(await files.png(120, 90), 'me.png');
    const upload = await me.media.upload('image', await files.noisePng(200), 'noise.png');
    const identity = await me.faces.createIdentity('Penny');
    const enrolled = await me.faces.addPhotos(identity.id, [await portrait('penny', 1)]);
    expect(enrolled.added).toHaveLength(1);
    const found = await me.faces.search((await portrait('penny', 2)).bytes, 'penny2.png');
    expect(found.faces.length).toBeGreaterThan(0);

    // The last of each producer's events, then everything the log holds.
    await eventFor(as.admin.client, 'auth.email.changed', 'userId', userId);
    await eventFor(as.admin.client, 'media.uploaded', 'mediaId', upload.id);
    await eventFor(as.admin.client, 'face.photos.enrolled', 'identityId', identity.id);
    await eventFor(as.admin.client, 'face.searched', 'ownerId', userId);
    const events = await as.admin.client.audit.exportEvents();
    const types = new Set(events.map((e) => e.type));
    for (const type of ['auth.user.registered', 'auth.login.succeeded', 'auth.password.changed', 'auth.email.changed']) {
      expect(types, type).toContain(type);
    }

    const problems: string[] = [];
    for (const event of events) {
      const line = JSON.stringify(event);
      const where = `${event.type} ${event.id}`;
      for (const secret of secrets) if (line.includes(secret)) problems.push(`${where}: holds a password or token`);
      // A token's signature alone is as bad as the token.
      for (const secret of secrets.filter((s) => s.split('.').length === 3)) {
        if (line.includes(secret.split('.')[2] as string)) problems.push(`${where}: holds a token signature`);
      }
      for (const code of codes)
        if (new RegExp(`(?<![\\w])${code}(?![\\w])`).test(line)) problems.push(`${where}: holds code ${code}`);
      walk(event as StoredEvent, '', (path, s, isKey) => {
        if (isKey && path.startsWith('.data') && FORBIDDEN_EVENT_FIELDS.test(s)) problems.push(`${where}: field ${path}`);
        if (s.length > 2048) problems.push(`${where}: ${path} is ${s.length} characters long`);
        if (BLOB.test(s) || IMAGE_MAGIC.test(s)) problems.push(`${where}: ${path} looks like encoded bytes`);
      });
    }
    expect(problems).toEqual([]);
    expect(events.length).toBeGreaterThan(10);
  });
});
