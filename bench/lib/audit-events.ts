import { randomBytes, randomUUID } from 'node:crypto';
import { EventCatalog, type EventDef, type EventEnvelope } from '@parley/contracts';
import { buildEnvelope } from '@parley/kit';

/** How often each type occurs, relative to 1 for the rest of the catalog: chat and logins dominate real traffic. */
const WEIGHTS: Record<string, number> = {
  'chat.message.created': 12,
  'auth.login.succeeded': 4,
  'auth.login.failed': 2,
  'media.uploaded': 3,
  'media.ready': 3,
  'notify.mail.sent': 2,
  'face.searched': 2,
};

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148',
  'Parley/2.3.1 (Android 14; Pixel 8)',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0',
];
/** Emitted by background work (mail delivery, thumbnails): no person, no request behind them. */
const SYSTEM_TYPES = /^(notify\.|media\.ready$)/;
const SOURCES: Record<string, string> = {
  auth: 'auth',
  media: 'media',
  chat: 'chat-notify',
  notify: 'chat-notify',
  face: 'face-match',
};

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const ip = (): string => `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 256)).join('.')}`;

/** A plausible string for a field, by its name. */
const stringFor = (key: string): string => {
  if (/Id$|^id$/.test(key)) return randomUUID();
  if (key === 'sha256') return hex(32);
  if (key === 'contentType') return pick(['image/jpeg', 'image/png', 'audio/ogg', 'application/pdf']);
  if (key === 'thumbnailUrl') return `https://parley.example/api/v1/media/${randomUUID()}/thumbnail`;
  if (key === 'login') return `user_${hex(4)}@example.test`;
  if (key === 'reason') return pick(['wrong-password', 'email-not-verified', 'unknown-account', 'expired']);
  if (key === 'error') return 'SMTP 451 4.7.1 try again later';
  if (key === 'verify') return pick(['code', 'link']);
  return `name_${hex(5)}`;
};

interface Schema {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  items?: Schema;
}

/** A random value valid for the (TypeBox, i.e. JSON Schema) data schema of an event; names guide the strings. */
const valueFor = (schema: Schema, key: string): unknown => {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return pick(schema.enum);
  if (schema.anyOf) {
    const options = schema.anyOf.filter((s) => s.type !== 'null');
    return options.length < schema.anyOf.length && Math.random() < 0.5 ? null : valueFor(pick(options), key);
  }
  switch (schema.type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, valueFor(s, k)]));
    case 'array':
      return Array.from({ length: 1 + Math.floor(Math.random() * 2) }, () => valueFor(schema.items ?? {}, key.replace(/s$/, '')));
    case 'string':
      return stringFor(key);
    case 'integer':
    case 'number':
      return Math.floor(Math.random() * 5_000);
    case 'boolean':
      return Math.random() < 0.5;
    case 'null':
      return null;
    default:
      throw new Error(`audit-events: no generator for schema ${JSON.stringify(schema)} (${key})`);
  }
};

const weighted: EventDef[] = EventCatalog.flatMap((def) => Array.from({ length: WEIGHTS[def.type] ?? 1 }, () => def));

/**
 * `count` envelopes of every type in the catalog (weighted towards chat and logins), as services emit
 * them: built and validated by the kit's `buildEnvelope`; those of a person's request carry an actor,
 * a subject, a request id, an ip and a user agent.
 */
export function auditEnvelopes(count: number): EventEnvelope[] {
  const users = Array.from({ length: 500 }, () => randomUUID());
  return Array.from({ length: count }, () => {
    const def = pick(weighted);
    const actor = pick(users);
    const options = SYSTEM_TYPES.test(def.type)
      ? { subject: randomUUID() }
      : {
          actor,
          subject: def.type.startsWith('auth.') ? actor : randomUUID(),
          requestId: randomUUID(),
          ip: ip(),
          userAgent: pick(USER_AGENTS),
        };
    return buildEnvelope(def, valueFor(def.data as Schema, ''), options, SOURCES[def.type.split('.')[0]!] ?? 'unknown');
  });
}
