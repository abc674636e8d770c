/**
 * The end-to-end journeys against a real cluster (`pnpm cluster`'s shape: 3 NATS nodes with
 * JetStream ×3, 2 gateways, 2 copies of every service, the real Postgres), each step through
 * one gateway and checked through the other, and the proof that copies split the load.
 */
import { ParleyApiError } from '@parley/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portrait } from '../../packages/stack/test/support/faces.ts';
import * as files from '../../packages/stack/test/support/media-files.ts';
import { connectReady, type Frame, type WsClient } from '../../packages/stack/test/support/ws.ts';
import { type Account, startTestCluster, type TestCluster, verifiedUser, waitFor } from './support.ts';

const ADMIN = 'admin.e2e@example.test';

/** The requests each copy of a service answered over the bus, from its /metrics. */
const handledBy = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('parley_bus_handled_duration_seconds_count')) total += Number(line.split(' ').pop());
  }
  return total;
};

describe('Parley as a cluster: two gateways, two copies of every service, three NATS nodes', () => {
  let tc: TestCluster;
  let a: Account;
  let b: Account;
  const sockets: WsClient[] = [];
  beforeAll(async () => {
    tc = await startTestCluster({ env: { ADMIN_EMAILS: ADMIN } });
    [a, b] = await Promise.all([verifiedUser(tc, 'e2ea', 0), verifiedUser(tc, 'e2eb', 1)]);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await tc?.close();
  });

  it('streams are replicated on all three NATS nodes', async () => {
    const jsz = (await (await fetch(`${tc.nats.nodes[0]!.monitorUrl}/jsz?streams=true&config=true`)).json()) as {
      account_details?: {
        stream_detail?: { name: string; config: { num_replicas: number }; cluster?: { replicas?: unknown[] } }[];
      }[];
    };
    const streams = (jsz.account_details ?? []).flatMap((d) => d.stream_detail ?? []);
    const ours = streams.filter((s) => s.name.toLowerCase().includes(tc.env.BUS_NAMESPACE as string));
    expect(ours.length).toBeGreaterThanOrEqual(2);
    for (const s of ours) {
      expect(s.config.num_replicas, s.name).toBe(3);
      // The leader plus two followers.
      expect(s.cluster?.replicas?.length, s.name).toBe(2);
    }
  });

  it('an account made on gateway 1 logs in on gateway 2; a logout there ends the session on both', async () => {
    const second = await a.at(1).auth.login({ login: a.email, password: a.password });
    const onFirst = a.at(0).withToken(second.accessToken);
    expect((await onFirst.users.me()).id).toBe(a.id);
    expect((await a.at(0).auth.sessions()).items.length).toBeGreaterThanOrEqual(2);
    await a.at(1).withToken(second.accessToken).auth.logout();
    await waitFor(
      'the logged-out token refused on gateway 1',
      async () => {
        const status = await onFirst.users.me().then(
          () => 200,
          (e: unknown) => (e instanceof ParleyApiError ? e.status : 0),
        );
        return status === 401;
      },
      10_000,
    );
    expect((await a.at(0).users.me()).id).toBe(a.id);
  });

  it('a message posted on gateway 1 reaches a member’s socket on gateway 2, and the history is the same on both', async () => {
    const room = await a.at(0).rooms.create({ name: 'cluster room', memberIds: [b.id] });
    const { client: socket } = await connectReady(tc.urls[1] as string, b.tokens.accessToken);
    sockets.push(socket);
    const sent = await a.at(0).rooms.post(room.id, 'across the cluster');
    const frame = await socket.next((f: Frame) => f.type === 'message.created' && (f.message as { id: string }).id === sent.id);
    expect(frame).toMatchObject({ roomId: room.id, message: { text: 'across the cluster', senderId: a.id } });
    const [h1, h2] = await Promise.all([a.at(0).rooms.history(room.id), b.at(1).rooms.history(room.id)]);
    expect(h1.items.map((m) => m.id)).toEqual(h2.items.map((m) => m.id));
    expect(h1.items[0]?.id).toBe(sent.id);
  });

  it('a picture uploaded through gateway 2 is served by gateway 1, with its thumbnail', async () => {
    const bytes = await files.png(320, 200);
    const media = await a.at(1).media.upload('image', bytes, 'pic.png');
    expect(Buffer.from(await a.at(0).media.bytes(media.id))).toEqual(bytes);
    await waitFor('the thumbnail', async () => (await a.at(0).media.open(media.id, { thumbnail: true })).status === 200, 30_000);
  });

  it('a face library built through one gateway answers a search through the other', async () => {
    const penny = await a.at(0).faces.createIdentity('Penny');
    const added = await a.at(1).faces.addPhotos(penny.id, [await portrait('penny', 1), await portrait('penny', 2)]);
    expect(added.rejected).toEqual([]);
    const found = await a.at(0).faces.search((await portrait('penny', 4)).bytes, 'penny4.png');
    expect(found.faces).toHaveLength(1);
    expect(found.faces[0]?.match?.identityId).toBe(penny.id);
  }, 60_000);

  it('login history and the audit chain are the same through either gateway', async () => {
    await waitFor(
      'both logins of a in the history',
      async () => (await a.at(1).audit.logins()).items.filter((l) => l.success).length >= 2,
      20_000,
    );
    const [l1, l2] = await Promise.all([a.at(0).audit.logins(), a.at(1).audit.logins()]);
    expect(l1.items).toEqual(l2.items);
    const admin = await verifiedUser(tc, 'admin', 1, ADMIN);
    const logins = await admin.at(0).audit.events({ type: 'auth.login.*', actor: a.id });
    expect(logins.items.length).toBeGreaterThanOrEqual(2);
    expect(await admin.at(1).audit.verify()).toMatchObject({ ok: true });
  });

  it('two copies of every service both answer requests: the bus splits the load', async () => {
    // 40 reads per service, half through each gateway: each copy of each service must have answered some.
    for (let i = 0; i < 40; i++) {
      const c = a.at(i);
      await Promise.all([c.users.me(), c.rooms.list(), c.media.list(), c.faces.listIdentities(), c.audit.logins()]);
    }
    for (const [service, copies] of Object.entries(tc.services)) {
      const counts = await Promise.all(copies.map((c) => handledBy(c.url)));
      expect(
        counts.every((n) => n > 0),
        `${service}: ${counts.join(' / ')} requests per copy`,
      ).toBe(true);
    }
  });
});
