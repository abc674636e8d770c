import { randomUUID } from 'node:crypto';
import { type Caller, ChatEvents, type Message, type MessageMedia, ParleyError } from '@parley/contracts';
import { badCursor, roomNotFound } from '../errors.ts';
import { decodeCursor, encodeCursor, isSafeInteger } from './cursor.ts';
import type { ChatDeps, RequestMeta } from './deps.ts';
import { who } from './events.ts';
import type { Feed } from './feed.ts';
import { toMessage } from './views.ts';

const DEFAULT_LIMIT = 20;

export interface MessagePage {
  items: Message[];
  nextCursor: string | null;
}

export interface PostInput {
  text: string;
  media?: MessageMedia | undefined;
  clientMessageId?: string | undefined;
}

export interface HistoryQuery {
  before?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** A history cursor names its room: one handed out for another room is refused, not misread. */
const readCursor = (roomId: string, cursor: string): number => {
  const [room, position] = decodeCursor(
    cursor,
    (p): p is [string, number] => p.length === 2 && typeof p[0] === 'string' && isSafeInteger(p[1]),
  );
  if (room !== roomId) throw badCursor();
  return position;
};

/** Posting and reading a room's messages. */
export const createMessages = (deps: ChatDeps, feed: Feed) => {
  const { repos, transaction, inRoom, now } = deps;
  return {
    async post(caller: Caller, roomId: string, input: PostInput, meta: RequestMeta = {}): Promise<Message> {
      const { text, media, clientMessageId } = input;
      if (text === '' && !media) throw new ParleyError('VALIDATION_FAILED', 'A message needs text or an attachment');
      const at = now();
      const { message, numbered } = await inRoom(roomId, () =>
        transaction(async (tx) => {
          // The room's lock (taken by the touch) orders its messages with its membership changes and
          // thumbnails; a refusal rolls the touch back.
          if (!(await tx.rooms.touchAsMember(roomId, caller.userId, at))) throw roomNotFound();
          // Under the room's lock, so two sends of one key cannot both miss the first.
          const earlier = clientMessageId ? await tx.messages.byClientId(roomId, caller.userId, clientMessageId) : undefined;
          if (earlier) return { message: toMessage(earlier), numbered: [] };
          let attached = media ?? null;
          // The thumbnail may have been announced before the message was posted.
          if (attached && attached.thumbnailUrl === null) {
            const thumbnailUrl = await tx.messages.readyThumbnail(attached.id);
            if (thumbnailUrl) attached = { ...attached, thumbnailUrl };
          }
          const row = await tx.messages.insert({
            id: randomUUID(),
            roomId,
            senderId: caller.userId,
            text,
            media: attached,
            createdAt: at,
            clientMessageId: clientMessageId ?? null,
          });
          const message = toMessage(row);
          const data = { messageId: row.id, roomId, senderId: caller.userId, mediaId: media?.id ?? null, length: text.length };
          await tx.events.stage(ChatEvents.messagePosted, data, who(caller, caller.userId, meta));
          const event = { type: 'message.created' as const, roomId, message };
          return { message, numbered: [await tx.feed.appendForRoom(event, roomId, at)] };
        }),
      );
      // A repeat of a stored message has nothing new to push (nor an event: it was recorded the first time).
      feed.publish(numbered);
      return message;
    },

    /** Newest first; `before` (a message of this room) or `cursor` pages back. */
    async list(caller: Caller, roomId: string, query: HistoryQuery): Promise<MessagePage> {
      if (!(await repos.rooms.member(roomId, caller.userId))) throw roomNotFound();
      if (query.before !== undefined && query.cursor !== undefined) {
        throw new ParleyError('BAD_REQUEST', 'Give either before or cursor, not both');
      }
      let before: number | undefined;
      if (query.cursor !== undefined) before = readCursor(roomId, query.cursor);
      if (query.before !== undefined) {
        before = await repos.messages.positionOf(roomId, query.before);
        if (before === undefined) throw new ParleyError('BAD_REQUEST', '`before` names no message of this room');
      }
      const limit = query.limit ?? DEFAULT_LIMIT;
      const rows = await repos.messages.page(roomId, { limit: limit + 1, ...(before === undefined ? {} : { before }) });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toMessage),
        nextCursor: rows.length > limit && last ? encodeCursor([roomId, last.position]) : null,
      };
    },
  };
};
export type Messages = ReturnType<typeof createMessages>;
