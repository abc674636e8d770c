export interface LiveRevocation {
  sessionId: string;
  /** Epoch seconds after which the session's access tokens are expired anyway. */
  until: number;
}

export interface RevocationListOptions {
  /** The auth service's list of revoked sessions whose tokens may still be unexpired. */
  loadLive: () => Promise<{ items: LiveRevocation[] }>;
  onLoadError?: (err: unknown, loadedBefore: boolean) => void;
  /** Full reload period: covers messages missed while the bus reconnected. Default 30 s. */
  resyncMs?: number;
  /** Delay before retry n (1..) of the first load. */
  retryDelayMs?: (attempt: number) => number;
  nowSeconds?: () => number;
}

export interface RevocationList {
  add(sessionIds: readonly string[], until: number): void;
  has(sessionId: string): boolean;
  /** False until one full load succeeded: until then a token's session must be asked about, not looked up. */
  readonly loaded: boolean;
  readonly size: number;
  /** One load now; on failure keeps retrying in the background. Resolves either way. */
  start(): Promise<void>;
  stop(): void;
}

// Kept a little past `until` in case this clock runs behind the signer's.
const SKEW_SECONDS = 60;

/** Every gateway's own copy of the revoked sessions: fed by the revocation messages, reloaded at start and every 30 s. */
export const createRevocationList = (opts: RevocationListOptions): RevocationList => {
  const resyncMs = opts.resyncMs ?? 30_000;
  const retryDelayMs = opts.retryDelayMs ?? ((n: number) => Math.min(250 * 2 ** (n - 1), 5_000));
  const nowSeconds = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const revoked = new Map<string, number>();
  let loaded = false;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;

  const add = (sessionIds: readonly string[], until: number): void => {
    for (const id of sessionIds) revoked.set(id, Math.max(until, revoked.get(id) ?? 0));
  };

  const prune = (): void => {
    const cutoff = nowSeconds() - SKEW_SECONDS;
    for (const [id, until] of revoked) if (until < cutoff) revoked.delete(id);
  };

  const load = async (): Promise<boolean> => {
    try {
      const { items } = await opts.loadLive();
      for (const item of items) add([item.sessionId], item.until);
      loaded = true;
      return true;
    } catch (err) {
      opts.onLoadError?.(err, loaded);
      return false;
    }
  };

  const retryUntilLoaded = (attempt: number): void => {
    if (stopped || loaded) return;
    retryTimer = setTimeout(async () => {
      if (!(await load())) retryUntilLoaded(attempt + 1);
    }, retryDelayMs(attempt));
    retryTimer.unref();
  };

  return {
    add,
    has: (sessionId) => revoked.has(sessionId),
    get loaded() {
      return loaded;
    },
    get size() {
      return revoked.size;
    },
    async start() {
      if (!(await load())) retryUntilLoaded(1);
      resyncTimer = setInterval(() => {
        prune();
        void load();
      }, resyncMs);
      resyncTimer.unref();
    },
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(resyncTimer);
    },
  };
};
