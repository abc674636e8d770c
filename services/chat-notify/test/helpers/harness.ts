import { randomUUID } from 'node:crypto';
import {
  AuthEndpoints,
  type Caller,
  ChatEndpoints,
  type EventEnvelope,
  type Message,
  type NumberedEvent,
  type Push,
  PushSubject,
  type RoomDetail,
} from '@parley/contracts';
import { createTestClock, type ServiceHarness, startServiceHarness, type TestClock } from '@parley/kit/testing';
import { expect } from 'vitest';
import { type ChatNotifyConfig, chatNotifyApp, loadChatNotifyConfig } from '../../src/index.ts';

export interface ChatWorld extends ServiceHarness<ChatNotifyConfig> {
  clock: TestClock;
  /** Every live push heard on the bus, in arrival order. */
  pushes: Push[];
  /** Every chat and mail audit event on the durable stream (a consumer of the test's own). */
  events: EventEnvelope[];
  /** A user auth knows, as the gateway passes them on the bus. */
  newUser(): Caller;
  /** Someone with a valid-looking id auth has never heard of. */
  stranger(): Caller;
  room(owner: Caller, members?: Caller[], name?: string): Promise<RoomDetail>;
  post(caller: Caller, roomId: string, text?: string): Promise<Message>;
  /** A user's whole kept feed, oldest first. */
  feedOf(user: Caller): Promise<NumberedEvent[]>;
}

/**
 * The real chat-notify service as the stack runs it: its own bus namespace (in-process, or NATS
 * when NATS_URL is set), its own database (a fresh Postgres database with DATABASE_URL, else
 * PGlite), a clock the test controls. Auth is not started: chat-notify must not depend on it (auth
 * depends on chat-notify), so a stand-in answers `users.lookup` for the users made with `newUser`.
 */
export const startChat = async (env: Record<string, string> = {}): Promise<ChatWorld> => {
  const clock = createTestClock();
  const harness = await startServiceHarness({
    service: 'chat-notify',
    loadConfig: loadChatNotifyConfig,
    env: { MAIL_POLL_MS: '50', ...env },
    // Not the result of register(): that is a thenable, which an async function would unwrap.
    register: (app, { config, shared }) => void app.register(chatNotifyApp, { config, shared, clock }),
  });
  const { bus } = harness;
  const known = new Set<string>();
  const pushes: Push[] = [];
  const events: EventEnvelope[] = [];
  try {
    bus.serve(
      AuthEndpoints.lookupUsers,
      ({ ids }) => ({ users: ids.filter((id) => known.has(id)).map((id) => ({ id, name: id, avatarUrl: null })) }),
      { queue: 'auth' },
    );
    bus.subscribe(PushSubject, (data) => void pushes.push(data as Push));
    for (const subject of ['evt.chat.>', 'evt.notify.>']) {
      await bus.consume({ durable: `test-${subject.split('.')[1]}`, subject }, (event) => {
        events.push(event.envelope);
        return 'ack';
      });
    }
    await bus.ping();
  } catch (err) {
    await harness.close().catch(() => {});
    throw err;
  }
  const caller = (): Caller => ({
    userId: `u_${randomUUID()}`,
    sessionId: randomUUID(),
    ip: '198.51.100.7',
    userAgent: 'vitest',
  });
  const world: ChatWorld = {
    ...harness,
    clock,
    pushes,
    events,
    newUser() {
      const user = caller();
      known.add(user.userId);
      return user;
    },
    stranger: caller,
    room: (owner, members = [], name = 'General') =>
      harness.call(ChatEndpoints.createRoom, { caller: owner, name, memberIds: members.map((m) => m.userId) }),
    post: (user, roomId, text = `hello ${randomUUID().slice(0, 6)}`) =>
      harness.call(ChatEndpoints.postMessage, { caller: user, roomId, text }),
    async feedOf(user) {
      const all: NumberedEvent[] = [];
      for (;;) {
        const after = all.at(-1)?.seq ?? 0;
        const page = await harness.call(ChatEndpoints.readFeed, { userId: user.userId, after });
        all.push(...page.events);
        if (page.events.length === 0) return all;
      }
    },
  };
  return world;
};

/** The pushes naming this user, as `[type, seq]`, once `count` have arrived. */
export const pushesTo = async (world: ChatWorld, user: Caller, count: number): Promise<[string, number][]> => {
  const mine = () =>
    world.pushes.flatMap((p) =>
      p.recipients.filter(([u]) => u === user.userId).map(([, seq]) => [p.event.type, seq] as [string, number]),
    );
  await expect.poll(() => mine().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(count);
  return mine();
};

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
