import { type TSchema, Type } from 'typebox';
import { AuthEvents } from '../auth/events.ts';
import { ChatEvents } from '../chat/events.ts';
import type { EventDef } from '../endpoint.ts';
import { FaceEvents } from '../faces/events.ts';
import { MediaEvents } from '../media/events.ts';

/**
 * The closed vocabulary of durable events: every (type, version) any service may emit. The audit log
 * stores only these; anything else is dead-lettered. A change to an event's data is a new version
 * added here beside the old one (consumers of stored history read both).
 */
export const EventCatalog: readonly EventDef[] = [
  ...Object.values(AuthEvents),
  ...Object.values(MediaEvents),
  ...Object.values(ChatEvents),
  ...Object.values(FaceEvents),
];

const key = (type: string, version: number) => `${type}@${version}`;
const byKey = new Map(EventCatalog.map((def) => [key(def.type, def.version), def]));
if (byKey.size !== EventCatalog.length) throw new Error('EventCatalog: a (type, version) is defined twice');

/** The definition of one (type, version), or undefined when it is not part of the vocabulary. */
export const eventDefOf = (type: string, version: number): EventDef | undefined => byKey.get(key(type, version));

/** Every event type name (all versions), e.g. for a query's `type` filter. */
export const EventTypes: readonly string[] = [...new Set(EventCatalog.map((def) => def.type))].sort();

const Nullable = (t: TSchema) => Type.Union([t, Type.Null()]);

/** The envelope fields around `data`, shared by every member of the union. */
export const EventEnvelopeFields = {
  id: Type.String({ minLength: 1, maxLength: 64 }),
  at: Type.String({ format: 'date-time' }),
  source: Type.String({ description: 'The service that emitted it' }),
  actor: Nullable(Type.String()),
  subject: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
};

/** The typed union: one member per (type, version), its `data` schema attached. What the audit log accepts. */
export const AuditEventUnion = Type.Union(
  EventCatalog.map((def) =>
    Type.Object({
      ...EventEnvelopeFields,
      type: Type.Literal(def.type),
      version: Type.Literal(def.version),
      data: def.data,
    }),
  ),
);

/**
 * Field names that must never appear in any event's data: secrets, one-time codes, tokens, image
 * bytes. Checked by a contract test over the whole catalog; the services' e2e test also scans stored
 * events for the actual secrets it used.
 */
export const FORBIDDEN_EVENT_FIELDS = /password|passwd|secret|token|^code$|otp|bytes|image|descriptor|body|text$/i;
