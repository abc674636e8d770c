import { ChatEvents, type EventEnvelope } from '@parley/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditDeps } from '../src/services/deps.ts';
import { createIngest } from '../src/services/ingest.ts';
import { type AuditWorld, range, startAudit } from './helpers/harness.ts';

describe('group commit', () => {
  let world: AuditWorld;
  let groups: number[];
  let deps: AuditDeps;
  beforeAll(async () => {
    world = await startAudit();
    // The real database and repository; only the transactions are counted, with the rows each inserted.
    deps = {
      ...world.deps,
      transaction: (fn) =>
        world.deps.transaction((repo) =>
          fn({
            ...repo,
            insert: (rows) => {
              groups.push(rows.length);
              return repo.insert(rows);
            },
          }),
        ),
    };
  });
  afterAll(() => world?.close());
  beforeEach(async () => {
    groups = [];
    await world.reset();
  });

  const envelopes = (n: number): EventEnvelope[] =>
    range(1, n).map((i) => world.envelope(ChatEvents.mailSent, { mailId: `m_${i}`, attempts: 1 }, { source: 'chat-notify' }));

  it('commits what arrives while a commit runs together in the next one, at most a group’s size each', async () => {
    const ingest = createIngest(deps, 10);
    await Promise.all(envelopes(35).map((e) => ingest.store(e)));
    // The first goes alone at once; the 34 that queued behind it go in groups of at most 10.
    expect(groups).toEqual([1, 10, 10, 10, 4]);
    expect((await world.rows()).map((r) => r.seq)).toEqual(range(1, 35));
    expect(await world.verify()).toMatchObject({ ok: true, checked: 35 });
  });

  it('stores one row for an event handed over twice in one group', async () => {
    const ingest = createIngest(deps);
    const [first, second] = envelopes(2);
    await Promise.all([first, second, first, second, first].map((e) => ingest.store(e!)));
    expect((await world.rows()).map((r) => r.id)).toEqual([first!.id, second!.id]);
  });

  it('lets the rest of a group through when one of its events cannot be committed', async () => {
    const ingest = createIngest(deps);
    const [a, b, c, d] = envelopes(4);
    const broken = { ...c!, at: 'not a time' };
    const results = await Promise.allSettled([a, b, broken, d].map((e) => ingest.store(e!)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((await world.rows()).map((r) => r.id)).toEqual([a!.id, b!.id, d!.id]);
    expect(await world.verify()).toMatchObject({ ok: true, checked: 3 });
  });
});
