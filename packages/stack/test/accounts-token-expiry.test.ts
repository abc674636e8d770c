import { ParleyApiError } from '@parley/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailStack, newUser, pollUntil, registerVerified, startMailStack } from './support/accounts.ts';

// The shortest lifetime the auth service allows; the test waits it out (correctness, not speed).
const TTL_SECONDS = 60;

describe('an expired access token', () => {
  let ms: MailStack;
  beforeAll(async () => {
    ms = await startMailStack({ ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS) });
  });
  afterAll(async () => ms?.close());

  it('is refused with 401 TOKEN_INVALID once its exp passes; the refresh token gets a fresh one', async () => {
    const account = await registerVerified(ms, newUser('expiry'));
    expect(account.tokens.expiresIn).toBe(TTL_SECONDS);
    expect((await account.client.users.me()).id).toBe(account.tokens.user.id);

    const exp = JSON.parse(Buffer.from(account.tokens.accessToken.split('.')[1] as string, 'base64url').toString()).exp as number;
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now())));
    let last: unknown;
    const flipped = await pollUntil(
      async () => {
        last = await account.client.users.me().catch((e: unknown) => e);
        return last instanceof ParleyApiError;
      },
      5_000,
      200,
    );
    expect(flipped, 'still accepted 5 s after exp').toBeDefined();
    expect(last).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    expect((last as ParleyApiError).problem.detail).toMatch(/expired/i);

    const fresh = await ms.client.auth.refresh(account.tokens.refreshToken);
    expect((await ms.client.withToken(fresh.accessToken).users.me()).id).toBe(account.tokens.user.id);
  }, 120_000);
});
