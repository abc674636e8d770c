/** What the registry needs to know about a socket. */
export interface Registered {
  userId: string;
  sessionId: string;
}

export interface SocketRegistry<C extends Registered> {
  add(conn: C): void;
  remove(conn: C): void;
  byUser(userId: string): ReadonlySet<C> | undefined;
  bySession(sessionId: string): ReadonlySet<C> | undefined;
  all(): IterableIterator<C>;
  readonly size: number;
}

const addTo = <C>(index: Map<string, Set<C>>, key: string, conn: C): void => {
  const set = index.get(key);
  if (set) set.add(conn);
  else index.set(key, new Set([conn]));
};

const removeFrom = <C>(index: Map<string, Set<C>>, key: string, conn: C): void => {
  const set = index.get(key);
  if (!set) return;
  set.delete(conn);
  if (set.size === 0) index.delete(key);
};

/** The sockets one gateway holds, by user (pushes) and by session (revocations). */
export const createSocketRegistry = <C extends Registered>(): SocketRegistry<C> => {
  const all = new Set<C>();
  const users = new Map<string, Set<C>>();
  const sessions = new Map<string, Set<C>>();
  return {
    add(conn) {
      all.add(conn);
      addTo(users, conn.userId, conn);
      addTo(sessions, conn.sessionId, conn);
    },
    remove(conn) {
      if (!all.delete(conn)) return;
      removeFrom(users, conn.userId, conn);
      removeFrom(sessions, conn.sessionId, conn);
    },
    byUser: (userId) => users.get(userId),
    bySession: (sessionId) => sessions.get(sessionId),
    all: () => all.values(),
    get size() {
      return all.size;
    },
  };
};
