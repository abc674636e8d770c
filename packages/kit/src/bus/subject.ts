/** NATS subject rules, shared by both transports so they match subjects the same way. */

const TOKEN = /^[^\s.*>]+$/;

/** A subject or filter: dot-separated tokens, `*` for one token, `>` only as the last token. */
export const isValidSubject = (subject: string, { wildcards = true } = {}): boolean => {
  const tokens = subject.split('.');
  return tokens.every((token, i) => {
    if (TOKEN.test(token)) return true;
    if (!wildcards) return false;
    return token === '*' || (token === '>' && i === tokens.length - 1);
  });
};

export const assertSubject = (subject: string, options?: { wildcards?: boolean }): string => {
  if (!isValidSubject(subject, options)) throw new Error(`invalid bus subject: "${subject}"`);
  return subject;
};

/** Does `subject` fall under `pattern` (`*` one token, `>` one or more trailing tokens)? */
export const subjectMatches = (pattern: string, subject: string): boolean => {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
};

/** A namespace is a single token so `<ns>.>` captures everything the bus owns. */
export const assertNamespace = (namespace: string): string => {
  if (!TOKEN.test(namespace)) throw new Error(`invalid bus namespace: "${namespace}"`);
  return namespace;
};

/** Durable consumer names end up in subjects and JetStream API paths. */
export const assertDurable = (durable: string): string => {
  if (!/^[A-Za-z0-9_-]+$/.test(durable)) throw new Error(`invalid durable name: "${durable}" (use [A-Za-z0-9_-])`);
  return durable;
};

export const qualify = (namespace: string, subject: string): string => `${namespace}.${subject}`;

export const unqualify = (namespace: string, subject: string): string =>
  subject.startsWith(`${namespace}.`) ? subject.slice(namespace.length + 1) : subject;

const streamPrefix = (namespace: string): string => namespace.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/** `parley` → `PARLEY_EVENTS`. */
export const eventStreamName = (namespace: string): string => `${streamPrefix(namespace)}_EVENTS`;
/** `parley` → `PARLEY_DLQ`. */
export const deadLetterStreamName = (namespace: string): string => `${streamPrefix(namespace)}_DLQ`;

/** Relative prefix of every durable event subject. */
export const EVENT_ROOT = 'evt';
/** Relative prefix of the dead-letter subjects. */
export const DEAD_LETTER_ROOT = 'dlq';

export const eventStreamSubject = (namespace: string): string => `${namespace}.${EVENT_ROOT}.>`;
export const deadLetterStreamSubject = (namespace: string): string => `${namespace}.${DEAD_LETTER_ROOT}.>`;
export const deadLetterSubject = (namespace: string, durable: string): string => `${namespace}.${DEAD_LETTER_ROOT}.${durable}`;
