/** The chat-notify service's codes and their statuses. */
export const ChatErrors = {
  /** Also what a non-member gets for a room that exists: rooms are private to their members. */
  ROOM_NOT_FOUND: 404,
  /** A member asked for something only the room's owner may do. */
  NOT_ROOM_OWNER: 403,
  ALREADY_MEMBER: 409,
  /** The user to remove is not in the room. */
  MEMBER_NOT_FOUND: 404,
} as const;
