import { createClient, type ParleyClient } from '@parley/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, newUser, registerVerified } from './support/accounts.ts';
import { ARRIVAL, type AuditStack, startAuditStack } from './support/audit.ts';

// Behind nginx or an Ingress every request comes from the proxy: without TRUST_PROXY the login history
// would show the proxy's address and every client would share one per-address rate limit.
// (Untrusted, a client's own X-Forwarded-For is ignored: support/audit.ts's agent sends one in every test.)
const CLIENT = '198.51.100.23';
const OTHER_CLIENT = '203.0.113.40';

describe('behind a trusted proxy (TRUST_PROXY=loopback: this test is the proxy)', () => {
  let as: AuditStack;
  const via = (forwardedFor: string, accessToken?: string): ParleyClient =>
    createClient({
      baseUrl: as.stack.url,
      headers: { 'x-forwarded-for': forwardedFor },
      ...(accessToken ? { accessToken } : {}),
    });
  beforeAll(async () => {
    as = await startAuditStack({ TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => as?.close());

  it('records the client’s address from X-Forwarded-For in the login history, not the proxy’s', async () => {
    const user = newUser('proxied');
    const account = await registerVerified({ ...as, client: via(CLIENT) }, user);
    // A client may send its own X-Forwarded-For; the proxy appends the address it saw. Only that one counts.
    const tokens = await via(`6.6.6.6, ${OTHER_CLIENT}`).auth.login({ login: user.email, password: user.password });
    await expect
      .poll(async () => (await account.client.audit.logins({ limit: 10 })).items.map((r) => r.ip), ARRIVAL)
      .toEqual([OTHER_CLIENT, CLIENT]);
    expect((await via(CLIENT, tokens.accessToken).auth.sessions()).items.map((s) => s.ip).sort()).toEqual(
      [CLIENT, OTHER_CLIENT].sort(),
    );
  });

  it('counts the per-address mail limit for each client, not for the proxy', async () => {
    const ask = (client: ParleyClient) => client.auth.requestLoginCode(newUser('code').email);
    for (let i = 0; i < 10; i++) await ask(via(CLIENT));
    const limited = await failure(ask(via(CLIENT)), 429, 'TOO_MANY_ATTEMPTS');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    await expect(ask(via(OTHER_CLIENT))).resolves.toEqual({ accepted: true });
    // A request without the header is the proxy's own (its address is the peer's): not limited either.
    await expect(ask(createClient({ baseUrl: as.stack.url }))).resolves.toEqual({ accepted: true });
  });
});
