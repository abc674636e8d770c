import { Type } from 'typebox';
import { endpoint } from '../endpoint.ts';

/** The chat-notify service's bus API (grows with the chat issue). */
export const ChatEndpoints = {
  /** Is this user a member of this room? The media service asks before serving a room's media to anyone but its owner. */
  membership: endpoint(
    'chat.rooms.membership',
    Type.Object({ roomId: Type.String({ maxLength: 64 }), userId: Type.String({ maxLength: 64 }) }),
    Type.Object({ member: Type.Boolean() }),
    { idempotent: true },
  ),
} as const;
