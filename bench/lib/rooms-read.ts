import type { SmtpCapture } from '../../packages/kit/src/testing/index.ts';
import { type ChatUser, createUser } from './chat-stack.ts';

/**
 * The authenticated read both bench/scale-out and bench/bus-hop measure: `GET /api/v1/rooms`, the
 * rooms I am in, newest activity first. Each app does it on opening; chat-notify answers it with one
 * query joining rooms to my memberships and counting each room's members, then a page of 20.
 */
export const ROOMS_PATH = '/api/v1/rooms';
/** A full first page (the default limit), each room holding the reader and three others. */
export const ROOMS = 20;
const OTHERS = 3;

export interface Reader {
  user: ChatUser;
  /** `authorization: Bearer …` of the reader, for every request of the load. */
  headers: Record<string, string>;
}

async function request(url: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<unknown> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname}: ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/**
 * Through the gateway at `gateway`, as people would: registers and verifies (with the mailed code) the
 * reader and three others, then the reader creates `ROOMS` rooms with the others in each.
 */
export async function seedReader(gateway: string, smtp: SmtpCapture): Promise<Reader> {
  const user = await createUser(gateway, smtp);
  const others: ChatUser[] = [];
  for (let i = 0; i < OTHERS; i++) others.push(await createUser(gateway, smtp));
  for (let i = 0; i < ROOMS; i++) {
    await request(`${gateway}${ROOMS_PATH}`, {
      method: 'POST',
      body: { name: `room ${i + 1}`, memberIds: others.map((o) => o.id) },
      token: user.accessToken,
    });
  }
  return { user, headers: { authorization: `Bearer ${user.accessToken}` } };
}

/** One read before the load: the reader's full page of rooms, each with its 4 members. */
export async function checkRoomsRead(base: string, reader: Reader): Promise<void> {
  const page = (await request(`${base}${ROOMS_PATH}`, { token: reader.user.accessToken })) as {
    items?: { memberCount?: number }[];
  };
  const items = page.items ?? [];
  if (items.length !== ROOMS || items.some((room) => room.memberCount !== OTHERS + 1)) {
    throw new Error(`${base}${ROOMS_PATH}: expected ${ROOMS} rooms of ${OTHERS + 1}, got ${JSON.stringify(page).slice(0, 300)}`);
  }
}

/** The bus transport a service reports through the gateway's `GET /api/v1/status/<service>`. */
export async function transportOf(gateway: string, service: string): Promise<string | undefined> {
  const status = (await request(`${gateway}/api/v1/status/${service}`)) as { transport?: string };
  return status.transport;
}

/**
 * How many bus requests on `subject` (e.g. `chat.rooms.list`) the process at `base` has answered,
 * from its `/metrics` (`parley_bus_handled_duration_seconds_count`, every outcome).
 */
export async function busHandled(base: string, subject: string): Promise<number> {
  const text = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('parley_bus_handled_duration_seconds_count{') && line.includes(`subject="${subject}"`)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
