import type { Db } from '@parley/kit';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { mediaReady } from '../db/schema/media-ready.ts';
import { type MessageRow, messages } from '../db/schema/messages.ts';

export type NewMessage = Omit<MessageRow, 'position'>;

export const createMessagesRepository = (db: Db) => ({
  async insert(message: NewMessage): Promise<MessageRow> {
    const [row] = await db.insert(messages).values(message).returning();
    return row!;
  },

  /** The message this sender already posted in this room under this idempotency key. */
  async byClientId(roomId: string, senderId: string, clientMessageId: string): Promise<MessageRow | undefined> {
    const [row] = await db
      .select()
      .from(messages)
      .where(and(eq(messages.roomId, roomId), eq(messages.senderId, senderId), eq(messages.clientMessageId, clientMessageId)));
    return row;
  },

  /** The position of a message in that room, or undefined when it is not one of the room's. */
  async positionOf(roomId: string, messageId: string): Promise<number | undefined> {
    const [row] = await db
      .select({ position: messages.position })
      .from(messages)
      .where(and(eq(messages.roomId, roomId), eq(messages.id, messageId)));
    return row?.position;
  },

  /** Newest first; `before` is a position. */
  async page(roomId: string, options: { limit: number; before?: number }): Promise<MessageRow[]> {
    const conditions = [eq(messages.roomId, roomId)];
    if (options.before !== undefined) conditions.push(lt(messages.position, options.before));
    return db
      .select()
      .from(messages)
      .where(and(...conditions))
      .orderBy(desc(messages.position))
      .limit(options.limit);
  },

  /** Sets the thumbnail of the messages carrying this media that have none yet; the rows it changed. */
  async setThumbnail(roomId: string, mediaId: string, thumbnailUrl: string): Promise<MessageRow[]> {
    return db
      .update(messages)
      .set({ media: sql`jsonb_set(${messages.media}, '{thumbnailUrl}', to_jsonb(${thumbnailUrl}::text))` })
      .where(
        and(
          eq(messages.roomId, roomId),
          sql`${messages.media} is not null and (${messages.media}->>'id') = ${mediaId}`,
          sql`${messages.media}->'thumbnailUrl' is distinct from to_jsonb(${thumbnailUrl}::text)`,
        ),
      )
      .returning();
  },

  /** Records an announced thumbnail; false when this media's was recorded already (a redelivery). */
  async recordReady(mediaId: string, thumbnailUrl: string, at: Date): Promise<boolean> {
    const rows = await db
      .insert(mediaReady)
      .values({ mediaId, thumbnailUrl, createdAt: at })
      .onConflictDoNothing()
      .returning({ mediaId: mediaReady.mediaId });
    return rows.length > 0;
  },

  async readyThumbnail(mediaId: string): Promise<string | undefined> {
    const [row] = await db.select().from(mediaReady).where(eq(mediaReady.mediaId, mediaId));
    return row?.thumbnailUrl;
  },

  async pruneReady(before: Date): Promise<number> {
    const rows = await db.delete(mediaReady).where(lt(mediaReady.createdAt, before)).returning({ mediaId: mediaReady.mediaId });
    return rows.length;
  },
});
export type MessagesRepository = ReturnType<typeof createMessagesRepository>;
