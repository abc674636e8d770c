import { ChatEndpoints } from '@parley/contracts';
import type { Bus } from '@parley/kit';

/**
 * Room membership is chat-notify's to say. Not cached: a member removed from a room must lose
 * access to its media at once. When chat-notify is down its 503 goes through to the caller.
 */
export const createRooms = (bus: Bus) => ({
  async isMember(roomId: string, userId: string): Promise<boolean> {
    const { member } = await bus.request(ChatEndpoints.membership, { roomId, userId }, { retries: 1 });
    return member;
  },
});
export type Rooms = ReturnType<typeof createRooms>;
