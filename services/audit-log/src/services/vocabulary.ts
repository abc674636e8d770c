import { type EventEnvelope, EventEnvelopeFields, eventDefOf } from '@parley/contracts';
import { validate } from '@parley/kit';
import { Type } from 'typebox';

const Envelope = Type.Object({
  ...EventEnvelopeFields,
  type: Type.String({ minLength: 1, maxLength: 200 }),
  version: Type.Integer({ minimum: 1 }),
  data: Type.Unknown(),
});

export type Judgement = { ok: true; envelope: EventEnvelope } | { ok: false; reason: string };

/**
 * Postgres refuses NUL in text and jsonb, and a lone surrogate cannot be encoded: either would fail
 * the whole group's commit, over and over, so such an event is refused up front.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const storable = (value: unknown): boolean => {
  if (typeof value === 'string') return !value.includes('\0') && !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every(storable);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([k, v]) => storable(k) && storable(v));
  return true;
};

/** Whether a delivered envelope belongs to the closed vocabulary (contracts' EventCatalog) and can be stored. */
export const judgeEnvelope = (value: unknown): Judgement => {
  const issues = validate(Envelope, value);
  if (issues) return { ok: false, reason: `invalid envelope: ${describe(issues)}` };
  const envelope = value as EventEnvelope;
  // The format admits a leap second (…:60), which JavaScript cannot represent.
  if (!Number.isFinite(Date.parse(envelope.at))) return { ok: false, reason: `invalid envelope: /at ${envelope.at}` };
  const def = eventDefOf(envelope.type, envelope.version);
  if (!def) return { ok: false, reason: `unknown event ${envelope.type} v${envelope.version}` };
  const bad = validate(def.data, envelope.data);
  if (bad) return { ok: false, reason: `invalid data for ${envelope.type} v${envelope.version}: ${describe(bad)}` };
  if (!storable(envelope)) return { ok: false, reason: 'contains NUL or an unpaired surrogate' };
  return { ok: true, envelope };
};

const describe = (issues: { path: string; message: string }[]): string =>
  issues
    .slice(0, 5)
    .map((i) => `${i.path} ${i.message}`)
    .join('; ');
