import { createHash } from 'node:crypto';

/** The previous hash of the first row ever stored. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed fields of a row, as built from an envelope or read back from the database. */
export interface ChainFields {
  seq: number;
  id: string;
  type: string;
  version: number;
  at: Date | string;
  source: string;
  actor: string | null;
  subject: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  data: unknown;
}

/**
 * JSON with object keys sorted at every depth: jsonb hands keys back in its own order, so the
 * string must not depend on it. Written out by hand so a `__proto__` key is hashed like any other.
 */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // Like JSON.stringify (and jsonb), a key whose value is undefined is left out.
    const entries = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** The row as one string, the same whether `at` is the envelope's ISO text or the Date read back. */
export const canonicalRow = (row: ChainFields): string =>
  canonicalJson([
    row.seq,
    row.id,
    row.type,
    row.version,
    new Date(row.at).toISOString(),
    row.source,
    row.actor,
    row.subject,
    row.requestId,
    row.ip,
    row.userAgent,
    row.data,
  ]);

export const chainHash = (prevHash: string, row: ChainFields): string =>
  createHash('sha256').update(prevHash).update(canonicalRow(row)).digest('hex');
