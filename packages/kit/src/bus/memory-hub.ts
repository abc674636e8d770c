/**
 * The in-process "server" several memory buses can share: core routing with queue
 * groups, and per-namespace event streams with durable consumers, modelled on
 * NATS core and JetStream so the memory transport behaves like the real one.
 */
import type { Reply } from './shared.ts';
import { subjectMatches } from './subject.ts';
import type { Headers } from './types.ts';

export interface CoreMessage {
  subject: string;
  body: string;
  headers: Headers;
  reply?: (reply: Reply) => void;
}

export interface CoreSubscription {
  pattern: string;
  queue: string | undefined;
  deliver(message: CoreMessage): void;
}

export interface StoredEvent {
  seq: number;
  subject: string;
  body: string;
  headers: Headers;
}

/** What a consumer member tells the stream about one delivery. */
export type Ack = { kind: 'ack' } | { kind: 'nak'; delayMs: number } | { kind: 'term' };

export interface ConsumerMember {
  /** Deliveries it takes at once. */
  capacity: number;
  deliver(event: StoredEvent, deliveryCount: number): Promise<Ack>;
}

export interface ConsumerConfig {
  filter: string;
  ackWaitMs: number;
  /** Deliveries after which the stream stops redelivering. */
  maxDeliver: number;
}

/** JetStream's default duplicate window. */
const DUPLICATE_WINDOW_MS = 120_000;

interface Pending {
  event: StoredEvent;
  deliveries: number;
  due: boolean;
  timer: NodeJS.Timeout | undefined;
}

const later = (ms: number, fn: () => void): NodeJS.Timeout => setTimeout(fn, ms).unref();

export class MemoryConsumer {
  #cursor = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #members: ConsumerMember[] = [];
  readonly #busy = new Map<ConsumerMember, number>();
  #next = 0;

  constructor(
    private readonly stream: MemoryStream,
    public config: ConsumerConfig,
  ) {}

  attach(member: ConsumerMember): void {
    this.#members.push(member);
    this.pump();
  }

  detach(member: ConsumerMember): void {
    const i = this.#members.indexOf(member);
    if (i >= 0) this.#members.splice(i, 1);
  }

  /** Hands work to idle members: due redeliveries first, then new events in stream order. */
  pump(): void {
    for (;;) {
      const member = this.#idleMember();
      if (!member) return;
      const entry = this.#nextWork();
      if (!entry) return;
      this.#deliver(member, entry);
    }
  }

  #idleMember(): ConsumerMember | undefined {
    for (let i = 0; i < this.#members.length; i++) {
      const member = this.#members[(this.#next + i) % this.#members.length]!;
      if ((this.#busy.get(member) ?? 0) < member.capacity) {
        this.#next = (this.#next + i + 1) % this.#members.length;
        return member;
      }
    }
    return undefined;
  }

  #nextWork(): Pending | undefined {
    for (const entry of this.#pending.values()) if (entry.due) return entry;
    const events = this.stream.events;
    while (this.#cursor < events.length) {
      const event = events[this.#cursor++]!;
      if (!subjectMatches(this.config.filter, event.subject)) continue;
      const entry: Pending = { event, deliveries: 0, due: true, timer: undefined };
      this.#pending.set(event.seq, entry);
      return entry;
    }
    return undefined;
  }

  #deliver(member: ConsumerMember, entry: Pending): void {
    entry.due = false;
    entry.deliveries++;
    const delivery = entry.deliveries;
    this.#busy.set(member, (this.#busy.get(member) ?? 0) + 1);
    this.#arm(entry, this.config.ackWaitMs);
    // Deliveries start on a later tick, like a message arriving from the network.
    setImmediate(() => {
      member
        .deliver(entry.event, delivery)
        .catch((): Ack => ({ kind: 'nak', delayMs: 0 }))
        .then((ack) => {
          const busy = (this.#busy.get(member) ?? 1) - 1;
          if (busy > 0) this.#busy.set(member, busy);
          else this.#busy.delete(member);
          this.#settle(entry, delivery, ack);
          this.pump();
        });
    });
  }

  /** Makes the entry due again after `ms`, unless it is settled first. */
  #arm(entry: Pending, ms: number): void {
    clearTimeout(entry.timer);
    entry.timer = later(ms, () => {
      if (this.#pending.get(entry.event.seq) !== entry) return;
      if (entry.deliveries >= this.config.maxDeliver) {
        this.#pending.delete(entry.event.seq);
        return;
      }
      entry.due = true;
      this.pump();
    });
  }

  #settle(entry: Pending, delivery: number, ack: Ack): void {
    if (this.#pending.get(entry.event.seq) !== entry) return;
    if (ack.kind === 'nak') {
      // A nak from a delivery that was already redelivered is stale.
      if (delivery === entry.deliveries && !entry.due) this.#arm(entry, ack.delayMs);
      return;
    }
    clearTimeout(entry.timer);
    this.#pending.delete(entry.event.seq);
  }
}

export class MemoryStream {
  readonly events: StoredEvent[] = [];
  readonly consumers = new Map<string, MemoryConsumer>();
  readonly #seen = new Map<string, number>();

  /** Stores the event unless its id was stored within the duplicate window. */
  append(subject: string, body: string, headers: Headers, msgId: string): { seq: number; duplicate: boolean } {
    const now = Date.now();
    for (const [id, at] of this.#seen) {
      if (now - at < DUPLICATE_WINDOW_MS) break;
      this.#seen.delete(id);
    }
    const seen = this.#seen.get(msgId);
    if (seen !== undefined) return { seq: seen, duplicate: true };
    const seq = this.events.length + 1;
    this.events.push({ seq, subject, body, headers });
    this.#seen.set(msgId, now);
    for (const consumer of this.consumers.values()) consumer.pump();
    return { seq, duplicate: false };
  }

  consumer(durable: string, config: ConsumerConfig): MemoryConsumer {
    let consumer = this.consumers.get(durable);
    if (consumer) consumer.config = config;
    else {
      consumer = new MemoryConsumer(this, config);
      this.consumers.set(durable, consumer);
    }
    return consumer;
  }
}

export interface MemoryHub {
  /** Routes a message; returns how many subscriptions received it (0 = no responders). */
  route(message: CoreMessage): number;
  add(sub: CoreSubscription): void;
  remove(sub: CoreSubscription): void;
  /** A JetStream-like stream, created on first use. */
  stream(name: string): MemoryStream;
}

export const createMemoryHub = (): MemoryHub => {
  const subs = new Set<CoreSubscription>();
  const streams = new Map<string, MemoryStream>();
  return {
    add: (sub) => void subs.add(sub),
    remove: (sub) => void subs.delete(sub),
    route(message) {
      const targets: CoreSubscription[] = [];
      const groups = new Map<string, CoreSubscription[]>();
      for (const sub of subs) {
        if (!subjectMatches(sub.pattern, message.subject)) continue;
        if (sub.queue === undefined) targets.push(sub);
        else groups.set(sub.queue, [...(groups.get(sub.queue) ?? []), sub]);
      }
      // Like NATS: one random member of each queue group.
      for (const members of groups.values()) targets.push(members[Math.floor(Math.random() * members.length)]!);
      for (const sub of targets) sub.deliver(message);
      return targets.length;
    },
    stream(name) {
      let stream = streams.get(name);
      if (!stream) {
        stream = new MemoryStream();
        streams.set(name, stream);
      }
      return stream;
    },
  };
};

let shared: MemoryHub | undefined;

/** The process-wide hub: memory buses created without a hub meet here, like services on one NATS server. */
export const sharedMemoryHub = (): MemoryHub => {
  shared ??= createMemoryHub();
  return shared;
};
