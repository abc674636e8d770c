import { ChatEndpoints } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { ChatDomain } from '../services/index.ts';

/** Rooms and their members. */
export const serveRooms = (kit: ServiceKit, { rooms, members }: ChatDomain): void => {
  kit.serve(ChatEndpoints.membership, async ({ roomId, userId }) => ({ member: await rooms.isMember(roomId, userId) }));
  kit.serve(ChatEndpoints.createRoom, ({ caller, name, memberIds }, { requestId }) =>
    rooms.create(caller, name, memberIds, { requestId }),
  );
  kit.serve(ChatEndpoints.listRooms, ({ caller, ...query }) => rooms.list(caller, query));
  kit.serve(ChatEndpoints.getRoom, ({ caller, roomId }) => rooms.get(caller, roomId));
  kit.serve(ChatEndpoints.addMember, ({ caller, roomId, userId }, { requestId }) =>
    members.add(caller, roomId, userId, { requestId }),
  );
  kit.serve(ChatEndpoints.removeMember, ({ caller, roomId, userId }, { requestId }) =>
    members.remove(caller, roomId, userId, { requestId }),
  );
};
