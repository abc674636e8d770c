import type { Db } from '@parley/kit';
import { createFeedRepository } from './feed.ts';
import { createMailRepository } from './mail.ts';
import { createMessagesRepository } from './messages.ts';
import { createRoomsRepository } from './rooms.ts';

/** Every repository on one connection: the pool, or a transaction. */
export const createRepositories = (db: Db) => ({
  rooms: createRoomsRepository(db),
  messages: createMessagesRepository(db),
  feed: createFeedRepository(db),
  mail: createMailRepository(db),
});
export type Repositories = ReturnType<typeof createRepositories>;
