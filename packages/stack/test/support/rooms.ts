import type { ParleyClient } from '@parley/client';
import { PROBLEM_CONTENT_TYPE, type RoomDetail } from '@parley/contracts';
import { expect } from 'vitest';
import type { Account } from './accounts.ts';

export const idOf = (account: Account): string => account.tokens.user.id;

/** A room `owner` created with `members` in it. */
export const roomOf = (owner: Account, members: Account[] = [], name = 'Room'): Promise<RoomDetail> =>
  owner.client.rooms.create({ name, ...(members.length ? { memberIds: members.map(idOf) } : {}) });

export interface RawAnswer {
  status: number;
  contentType: string;
  headers: Headers;
  body: Record<string, unknown> | null;
}

/** A JSON call as sent, answered as it came (status, type, body): for what the typed client hides. */
export const send = async (client: ParleyClient, method: string, path: string, body?: unknown): Promise<RawAnswer> => {
  const res = await client.raw(method, `/api/v1${path}`, body === undefined ? {} : { body });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
};

/** A bad request answered as API.md says: 400 problem+json with a stable code. */
export const expectBadRequest = async (answer: Promise<RawAnswer>, code = 'VALIDATION_FAILED'): Promise<RawAnswer> => {
  const got = await answer;
  expect({ status: got.status, code: got.body?.code }, JSON.stringify(got.body)).toEqual({ status: 400, code });
  expect(got.contentType).toContain(PROBLEM_CONTENT_TYPE);
  return got;
};
