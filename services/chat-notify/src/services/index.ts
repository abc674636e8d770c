import type { ChatDeps } from './deps.ts';
import { createFeed } from './feed.ts';
import { createMembers } from './members.ts';
import { createMessages } from './messages.ts';
import { createRooms } from './rooms.ts';
import { createThumbnails } from './thumbnails.ts';
import { createUsers } from './users.ts';

/** The chat domain, wired once from its dependencies. Mail is wired in app.ts (it owns a mailer). */
export const createChatDomain = (deps: ChatDeps) => {
  const users = createUsers(deps.bus);
  const feed = createFeed(deps);
  return {
    feed,
    rooms: createRooms(deps, users, feed),
    members: createMembers(deps, users, feed),
    messages: createMessages(deps, feed),
    thumbnails: createThumbnails(deps, feed),
  };
};
export type ChatDomain = ReturnType<typeof createChatDomain>;
