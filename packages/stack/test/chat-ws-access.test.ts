import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { connectReady, refusedUpgrade } from './support/ws.ts';

const APP_ORIGIN = 'https://app.example.test';

describe('who may open the WebSocket', () => {
  let ms: MailStack;
  let a: Account;
  beforeAll(async () => {
    ms = await startMailStack({ WS_ALLOWED_ORIGINS: `${APP_ORIGIN}, https://other.example.test` });
    a = await registerVerified(ms, newUser('wsaccess'));
  });
  afterAll(async () => {
    await ms?.close();
  });

  it('opens with the token in ?token= or in the Authorization header, and says hello as the user', async () => {
    for (const tokenInHeader of [false, true]) {
      const { client, hello } = await connectReady(ms.stack.url, a.tokens.accessToken, { tokenInHeader });
      expect(hello).toEqual({ type: 'hello', userId: a.tokens.user.id, seq: 0, replaying: false, reset: false });
      expect(client.frames[0]).toBe(hello);
      await client.close();
    }
  });

  it('lets in an allowed browser origin and a client that sends no Origin (not a browser)', async () => {
    const fromApp = await connectReady(ms.stack.url, a.tokens.accessToken, { origin: APP_ORIGIN });
    expect(fromApp.hello.userId).toBe(a.tokens.user.id);
    await fromApp.client.close();
  });

  it('refuses another origin with a 403 problem before upgrading', async () => {
    const refused = await refusedUpgrade(ms.stack.url, a.tokens.accessToken, { origin: 'https://evil.example.test' });
    expect(refused.status).toBe(403);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('refuses a missing, a forged and a logged-out token with a 401 problem', async () => {
    const none = await refusedUpgrade(ms.stack.url, undefined);
    expect(none).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    const forged = await refusedUpgrade(ms.stack.url, `${a.tokens.accessToken.slice(0, -4)}AAAA`);
    expect(forged).toMatchObject({ status: 401, body: { code: 'TOKEN_INVALID' } });

    const b = await registerVerified(ms, newUser('wsgone'));
    await b.client.auth.logout();
    const ended = await refusedUpgrade(ms.stack.url, b.tokens.accessToken, { tokenInHeader: true });
    expect(ended).toMatchObject({ status: 401, body: { code: 'SESSION_INVALID' } });
  });

  it('refuses a `since` that is not a seq with a 400 problem', async () => {
    const bad = await refusedUpgrade(`${ms.stack.url}`, a.tokens.accessToken, { since: -1 });
    expect(bad).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('answers a plain GET (no upgrade) with 426 and documents the route in OpenAPI', async () => {
    const res = await fetch(`${ms.stack.url}/api/v1/ws`, { headers: { authorization: `Bearer ${a.tokens.accessToken}` } });
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ status: 426, code: 'UPGRADE_REQUIRED' });

    const spec = (await (await fetch(`${ms.stack.url}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { summary?: string; responses?: Record<string, unknown> } }>;
    };
    const ws = spec.paths['/api/v1/ws']?.get;
    expect(ws?.summary).toMatch(/WebSocket/);
    expect(Object.keys(ws?.responses ?? {})).toContain('101');
  });
});
