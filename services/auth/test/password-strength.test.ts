import { AuthEndpoints } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthWorld, startAuth } from './helpers/harness.ts';

describe('the password strength rule', () => {
  let world: AuthWorld;
  beforeAll(async () => {
    world = await startAuth();
  });
  afterAll(() => world?.close());

  const rate = (password: string, extra: { name?: string; email?: string } = {}) =>
    world.call(AuthEndpoints.passwordStrength, { password, ...extra });

  it('scores 0-4 and accepts only score 3+ with 8+ characters, with feedback', async () => {
    const weak = await rate('password');
    expect(weak).toMatchObject({ score: 0, acceptable: false });
    expect(weak.feedback.warning).toEqual(expect.any(String));
    expect(await rate('violet tundra marmalade sprocket 42')).toMatchObject({ score: 4, acceptable: true });
    const short = await rate('x7#kQ9!');
    expect(short.acceptable).toBe(false);
    expect(short.feedback.suggestions.join(' ')).toMatch(/8 characters/);
  });

  it("counts the person's own name and address against the password", async () => {
    const password = 'Zorblaxquindar1';
    const alone = await rate(password);
    expect(alone.acceptable).toBe(true);
    const withInputs = await rate(password, { name: 'ZorblaxQuindar', email: 'zq@example.test' });
    expect(withInputs.score).toBeLessThan(alone.score);
    expect(withInputs.acceptable).toBe(false);
  });

  it('rates long passphrases, up to the 256 characters the schema allows', async () => {
    expect(await rate('Seven purple walruses quietly debate tax law on a rainy Tuesday')).toMatchObject({ acceptable: true });
    expect((await rate('a'.repeat(256))).acceptable).toBe(false);
  });
});
