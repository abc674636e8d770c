import { type Caller, ChatEndpoints, type ControlFrame, ErrorCodes, isParleyError } from '@parley/contracts';
import { type Bus, newRequestId, runWithContext } from '@parley/kit';
import type { RawData } from 'ws';
import { parseFrame } from './frames.ts';

export interface IncomingContext {
  bus: Bus;
  caller: Caller;
  send(frame: ControlFrame): boolean;
  /** `message.send` frames of this socket still waiting for chat-notify (shared between calls). */
  inFlight: { count: number };
  inFlightMax: number;
  timeoutMs: number;
}

/** What the client is told about a failed send: its code, and the detail unless it would leak a 5xx's internals. */
const errorFrame = (err: unknown, ref: string | undefined): ControlFrame => {
  const known = isParleyError(err);
  const code = known ? err.code : 'INTERNAL';
  const hide = !known || (err.status >= 500 && !(err.code in ErrorCodes));
  const detail = hide ? 'The service failed to answer' : err.message;
  return { type: 'error', code, detail, ...(ref === undefined ? {} : { ref }) };
};

/** Answers one client frame; a bad one gets an `error` frame and the socket stays open. */
export const handleFrame = async (data: RawData, isBinary: boolean, ctx: IncomingContext): Promise<void> => {
  const parsed = parseFrame(data, isBinary);
  if (!parsed.ok) {
    ctx.send(parsed.error);
    return;
  }
  const { frame } = parsed;
  const ref = frame.ref === undefined ? {} : { ref: frame.ref };
  if (frame.type === 'ping') {
    ctx.send({ type: 'pong', ...ref });
    return;
  }
  if (ctx.inFlight.count >= ctx.inFlightMax) {
    ctx.send({
      type: 'error',
      code: 'TOO_MANY_REQUESTS',
      detail: `At most ${ctx.inFlightMax} messages may wait for an answer at once; wait for message.sent`,
      ...ref,
    });
    return;
  }
  ctx.inFlight.count++;
  try {
    const message = await runWithContext({ requestId: newRequestId() }, () =>
      ctx.bus.request(
        ChatEndpoints.postMessage,
        {
          caller: ctx.caller,
          roomId: frame.roomId,
          text: frame.text,
          ...(frame.clientMessageId ? { clientMessageId: frame.clientMessageId } : {}),
        },
        { timeoutMs: ctx.timeoutMs },
      ),
    );
    ctx.send({ type: 'message.sent', message, ...ref });
  } catch (err) {
    ctx.send(errorFrame(err, frame.ref));
  } finally {
    ctx.inFlight.count--;
  }
};
