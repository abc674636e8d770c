import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { AuditEventUnion, AuthEvents, EventCatalog, EventTypes, eventDefOf, FORBIDDEN_EVENT_FIELDS } from '../src/index.ts';

/** Every property name in a schema, at any depth (objects, arrays, unions). */
const fieldNames = (schema: TSchema, path = ''): string[] => {
  const s = schema as { properties?: Record<string, TSchema>; items?: TSchema; anyOf?: TSchema[] };
  const names: string[] = [];
  for (const [name, child] of Object.entries(s.properties ?? {}))
    names.push(`${path}${name}`, ...fieldNames(child, `${path}${name}.`));
  if (s.items) names.push(...fieldNames(s.items, path));
  for (const member of s.anyOf ?? []) names.push(...fieldNames(member, path));
  return names;
};

const envelopeOf = (type: string, version: number, data: unknown) => ({
  id: 'e1',
  type,
  version,
  at: '2026-11-21T10:00:00.000Z',
  source: 'test',
  actor: null,
  subject: null,
  requestId: null,
  ip: '192.0.2.1',
  userAgent: null,
  data,
});

describe('the event vocabulary', () => {
  it('is closed: each (type, version) once, on evt.<type>, found by eventDefOf and nothing else', () => {
    expect(EventCatalog.length).toBeGreaterThanOrEqual(20);
    for (const def of EventCatalog) {
      expect(def.subject).toBe(`evt.${def.type}`);
      expect(eventDefOf(def.type, def.version)).toBe(def);
    }
    expect(eventDefOf('auth.login.succeeded', 99)).toBeUndefined();
    expect(eventDefOf('made.up', 1)).toBeUndefined();
    expect(EventTypes).toContain('face.searched');
    expect(EventTypes).toContain('notify.mail.sent');
  });

  it('carries no secrets, codes, tokens or image bytes in any event’s data', () => {
    const offending = EventCatalog.flatMap((def) =>
      fieldNames(def.data)
        .filter((name) => FORBIDDEN_EVENT_FIELDS.test(name.split('.').at(-1)!))
        .map((name) => `${def.type}: ${name}`),
    );
    expect(offending).toEqual([]);
    // The check itself bites on the names it is meant for.
    for (const name of ['password', 'newPassword', 'code', 'refreshToken', 'imageBytes', 'descriptor', 'text'])
      expect(FORBIDDEN_EVENT_FIELDS.test(name), name).toBe(true);
  });

  it('accepts every member with its own data and refuses a wrong version, an unknown type or foreign data', () => {
    for (const def of EventCatalog) {
      expect(Value.Check(AuditEventUnion, envelopeOf(def.type, def.version, Value.Create(def.data))), def.type).toBe(true);
    }
    const login = Value.Create(AuthEvents.loginSucceeded.data);
    expect(Value.Check(AuditEventUnion, envelopeOf('auth.login.succeeded', 2, login))).toBe(false);
    expect(Value.Check(AuditEventUnion, envelopeOf('auth.made.up', 1, login))).toBe(false);
    expect(Value.Check(AuditEventUnion, envelopeOf('auth.login.succeeded', 1, { userId: 'u' }))).toBe(false);
  });
});
