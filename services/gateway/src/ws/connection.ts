import { type Caller, type ControlFrame, WsCloseCodes } from '@parley/contracts';
import type { Bus } from '@parley/kit';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { createFeedReader, FEED_READ_PAGE, type FeedBounds, resumePoint } from './feed.ts';
import { handleFrame } from './incoming.ts';
import type { CloseReason, WsMetrics } from './metrics.ts';
import type { Registered } from './registry.ts';
import { createSequencer, type Numbered, type SequencerFailure } from './sequencer.ts';

/** Standard codes the gateway uses besides the contract's `WsCloseCodes`. */
export const INTERNAL_ERROR = 1011;
export const TRY_AGAIN_LATER = 1013;

export interface ConnectionLimits {
  maxBufferedBytes: number;
  busTimeoutMs: number;
  /** How long a closed socket may take to finish its close handshake before it is cut. */
  closeGraceMs: number;
  /** Events that may wait behind a gap before the socket counts as too slow. */
  pendingMax: number;
  /** `message.send` frames one socket may have waiting for chat-notify at once. */
  inFlightMax: number;
}

export interface ConnectionOptions {
  socket: WebSocket;
  caller: Caller;
  since: number | undefined;
  bus: Bus;
  log: FastifyBaseLogger;
  metrics: WsMetrics;
  limits: ConnectionLimits;
  onClosed(conn: Connection): void;
}

export interface Connection extends Registered {
  /** Bytes queued on the socket beyond what the kernel took. */
  readonly bufferedBytes: number;
  /** A live feed event for this socket's user. */
  offer(item: Numbered): void;
  /** Runs the connect sequence: hello, the replay when resuming, then live events. */
  open(): Promise<void>;
  /** Closes from the server side with a code and reason; cut off if the close handshake does not finish in time. */
  end(code: number, reason: string, why: CloseReason): void;
  /** Called every ping period: a socket that did not answer the previous ping is closed. */
  heartbeat(): void;
}

const RETRY_DELAYS_MS = [250, 1_000, 3_000];
const DRAIN_POLL_MS = 20;

const failures: Record<SequencerFailure, [number, string, CloseReason]> = {
  overflow: [WsCloseCodes.SLOW_CONSUMER, 'slow consumer', 'slow_consumer'],
  unavailable: [TRY_AGAIN_LATER, 'the chat service does not answer; reconnect with ?since=', 'feed_unavailable'],
  gap: [INTERNAL_ERROR, 'missed events are no longer kept; reconnect with ?since=', 'feed_unavailable'],
};

/** One socket: numbered events out through its sequencer, capped by its send buffer; client frames in. */
export const createConnection = (opts: ConnectionOptions): Connection => {
  const { socket, caller, bus, log, metrics, limits } = opts;
  const { userId, sessionId } = caller;
  let ending: CloseReason | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let alive = true;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const end = (code: number, reason: string, why: CloseReason): void => {
    if (ending) return;
    ending = why;
    // Counted when decided: a slow or dead peer may take the whole grace to finish closing.
    metrics.closed(why);
    sequencer.stop();
    socket.close(code, reason);
    graceTimer = setTimeout(() => socket.terminate(), limits.closeGraceMs).unref();
  };

  /** False when nothing more may be sent; a socket whose unsent data passed the cap is closed. */
  const sendText = (text: string, capped = true): boolean => {
    if (ending || socket.readyState !== socket.OPEN) return false;
    if (capped && socket.bufferedAmount > limits.maxBufferedBytes) {
      end(WsCloseCodes.SLOW_CONSUMER, 'slow consumer', 'slow_consumer');
      return false;
    }
    socket.send(text);
    return true;
  };
  const sendFrame = (frame: ControlFrame): boolean => sendText(JSON.stringify(frame));

  /**
   * Waits until the socket's buffer is under half the cap. A client that reads, however slowly, is
   * waited for; one that reads nothing for the close grace is a slow consumer.
   */
  const drain = async (): Promise<boolean> => {
    let deadline = Date.now() + limits.closeGraceMs;
    let buffered = socket.bufferedAmount;
    while (!ending && socket.readyState === socket.OPEN && socket.bufferedAmount > limits.maxBufferedBytes / 2) {
      if (socket.bufferedAmount < buffered) deadline = Date.now() + limits.closeGraceMs;
      buffered = socket.bufferedAmount;
      if (Date.now() > deadline) end(WsCloseCodes.SLOW_CONSUMER, 'slow consumer', 'slow_consumer');
      else await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    return !ending && socket.readyState === socket.OPEN;
  };

  const feed = createFeedReader({ bus, userId, timeoutMs: limits.busTimeoutMs, metrics, log });
  const sequencer = createSequencer({
    send: (item, fromFeed) => {
      if (!sendText(item.text, !fromFeed)) return false;
      metrics.eventsSent();
      return true;
    },
    drain,
    read: (after, limit) => feed.page(after, limit),
    fail: (failure) => end(...failures[failure]),
    pageSize: FEED_READ_PAGE,
    pendingMax: limits.pendingMax,
    retryDelayMs: (attempt) => RETRY_DELAYS_MS[attempt - 1],
  });

  const conn: Connection = {
    userId,
    sessionId,
    get bufferedBytes() {
      return socket.bufferedAmount;
    },
    offer: (item) => sequencer.offer(item),
    end,
    heartbeat() {
      if (ending) return;
      if (!alive) return end(WsCloseCodes.HEARTBEAT_TIMEOUT, 'no pong to the last ping', 'heartbeat');
      alive = false;
      socket.ping();
    },
    async open() {
      let bounds: FeedBounds;
      try {
        bounds = await feed.bounds();
      } catch (err) {
        log.warn({ userId, reason: (err as Error).message }, 'could not read where the feed stands');
        return end(...failures.unavailable);
      }
      const { start, replaying, reset } = resumePoint(opts.since, bounds);
      if (!sendFrame({ type: 'hello', userId, seq: start, replaying, reset })) return;
      const count = await sequencer.start(start, { replay: replaying });
      if (replaying && !ending) sendFrame({ type: 'replayed', seq: sequencer.lastSeq ?? start, count });
      markReady();
    },
  };

  const inFlight = { count: 0 };
  socket.on('pong', () => {
    alive = true;
  });
  // Frames are answered only after `hello`, which is always the first frame a client receives.
  socket.on('message', (data, isBinary) => {
    alive = true;
    void ready.then(() =>
      handleFrame(data, isBinary, {
        bus,
        caller,
        send: sendFrame,
        inFlight,
        inFlightMax: limits.inFlightMax,
        timeoutMs: limits.busTimeoutMs,
      }),
    );
  });
  socket.on('close', (code) => {
    clearTimeout(graceTimer);
    sequencer.stop();
    opts.onClosed(conn);
    const why = ending ?? (code === WsCloseCodes.TOO_BIG ? 'too_big' : 'client');
    if (!ending) metrics.closed(why);
    log.info({ userId, sessionId, code, why }, 'websocket closed');
  });
  return conn;
};
