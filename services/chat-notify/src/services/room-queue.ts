import { ParleyError } from '@parley/contracts';

interface Line {
  tail: Promise<void>;
  waiting: number;
}

/**
 * One change per room at a time in this copy, the others waiting here rather than in Postgres.
 * Writers of a room also take its row lock (copies still serialise there), but a crowd of
 * transactions blocked on one row holds back the cleanup of the rows they all update (every member's
 * `user_seqs`): measured on a 1,000-member room, 16 posts at once went at 25 a second where one at a
 * time went at 90. A room with too many waiting answers 503 with Retry-After instead of a queue
 * nobody will live to see the end of.
 */
export const createRoomQueue = (maxWaiting = 256) => {
  const lines = new Map<string, Line>();
  return <T>(roomId: string, fn: () => Promise<T>): Promise<T> => {
    let line = lines.get(roomId);
    if (!line) {
      line = { tail: Promise.resolve(), waiting: 0 };
      lines.set(roomId, line);
    }
    if (line.waiting >= maxWaiting) {
      return Promise.reject(
        new ParleyError('SERVICE_UNAVAILABLE', 'This room is busy: try again in a moment', { extra: { retryAfter: 1 } }),
      );
    }
    const own = line;
    own.waiting += 1;
    const result = own.tail.then(fn);
    own.tail = result.then(
      () => {},
      () => {},
    );
    void own.tail.then(() => {
      own.waiting -= 1;
      if (own.waiting === 0 && lines.get(roomId) === own) lines.delete(roomId);
    });
    return result;
  };
};
export type RoomQueue = ReturnType<typeof createRoomQueue>;
