import { ClientFrame, type ControlFrame } from '@parley/contracts';
import { validate } from '@parley/kit';
import type { TSchema } from 'typebox';
import type { RawData } from 'ws';

export type ErrorFrame = Extract<ControlFrame, { type: 'error' }>;
export type FrameResult = { ok: true; frame: ClientFrame } | { ok: false; error: ErrorFrame };

const refused = (detail: string, ref?: string): FrameResult => ({
  ok: false,
  error: { type: 'error', code: 'VALIDATION_FAILED', detail, ...(ref === undefined ? {} : { ref }) },
});

/** Each frame type's own schema, so a bad frame's errors name its fields, not every branch of the union. */
const byType = new Map<unknown, TSchema>(
  ClientFrame.anyOf.map((schema) => [(schema.properties.type as { const: string }).const, schema]),
);

/** The `ref` of a refused frame when it has a usable one, so the client can still match the error. */
const refOf = (value: unknown): string | undefined => {
  const ref = (value as { ref?: unknown } | null)?.ref;
  return typeof ref === 'string' && ref.length <= 64 ? ref : undefined;
};

const textOf = (data: RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.from(data).toString('utf8');

/** Reads one incoming frame. Anything but a JSON text frame matching `ClientFrame` is refused with the reason. */
export const parseFrame = (data: RawData, isBinary: boolean): FrameResult => {
  if (isBinary) return refused('Frames must be JSON text; binary frames are not accepted');
  let value: unknown;
  try {
    value = JSON.parse(textOf(data));
  } catch {
    return refused('The frame is not valid JSON');
  }
  const type = (value as { type?: unknown } | null)?.type;
  const schema = byType.get(type);
  if (!schema) {
    const named = typeof type === 'string' ? `"${type.slice(0, 64)}"` : 'no type';
    return refused(`Unknown frame type (${named}): expected "ping" or "message.send"`, refOf(value));
  }
  const issues = validate(schema, value);
  if (issues) return refused(`Invalid ${type} frame: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, refOf(value));
  return { ok: true, frame: value as ClientFrame };
};
