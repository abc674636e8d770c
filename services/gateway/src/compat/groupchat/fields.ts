import { Email, UserName } from '@parley/contracts';
import type { FastifyRequest } from 'fastify';
import { Value } from 'typebox/value';
import { fieldsOf, flag, text } from '../kit.ts';
import { Info, refuse } from './envelope.ts';

export type Fields = Record<string, unknown>;

const NOT_AN_OBJECT = 'Send the fields as a JSON object, a urlencoded form or multipart/form-data';

const MULTIPART_LIMITS = { fields: 16, fieldSize: 4_096, fieldNameSize: 64, files: 4, fileSize: 1, parts: 24, headerPairs: 16 };

/**
 * The request's fields: the query string, then a JSON object, a urlencoded form or (as a browser's
 * FormData sends it) a multipart form over it. File parts of a form sent to a route that takes none are skipped.
 */
export const readFields = async (req: FastifyRequest): Promise<Fields> => {
  if (!req.isMultipart()) {
    const body = req.body;
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body))) {
      throw refuse(-1, NOT_AN_OBJECT);
    }
    return fieldsOf(req);
  }
  const fields: Fields = { ...((req.query ?? {}) as Fields) };
  try {
    for await (const part of req.parts({ limits: MULTIPART_LIMITS })) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') fields[part.fieldname] = part.value;
      } else {
        part.file.resume();
      }
    }
  } catch {
    throw refuse(-1, 'Malformed multipart/form-data body');
  }
  return fields;
};

/** A text field (strings, or the numbers the document's samples send), trimmed; undefined when absent or empty. */
const textOf = (fields: Fields, name: string): string | undefined => {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  const got = text(value);
  if (got === undefined) throw refuse(-1, Info.missing(name));
  const trimmed = got.trim();
  return trimmed === '' ? undefined : trimmed;
};

/** A field that must be there: "Missing or error type of [name]" otherwise. */
export const required = (fields: Fields, name: string): string => {
  const value = textOf(fields, name);
  if (value === undefined) throw refuse(-1, Info.missing(name));
  return value;
};

export const optional = textOf;

export const userName = (fields: Fields, name: string): string => {
  const value = required(fields, name);
  if (!Value.Check(UserName, value)) throw refuse(-1, Info.invalidName(name));
  return value;
};

export const email = (fields: Fields, name: string): string => {
  const value = required(fields, name);
  if (!Value.Check(Email, value)) throw refuse(-1, Info.invalidEmail(name));
  return value;
};

const MAX_PASSWORD = 256;

/** Passwords are taken as sent (not trimmed): `"password": 123` is the string "123". */
export const password = (fields: Fields, name: string): string => {
  const value = fields[name];
  const got = value === undefined || value === null ? undefined : text(value);
  if (got === undefined || got === '' || got.length > MAX_PASSWORD) throw refuse(-1, Info.missing(name));
  return got;
};

/**
 * `security_code`: six digits. A JSON number loses its leading zeros (`012345` → 12345), so numbers are
 * padded back to six digits. Undefined when absent.
 */
export const securityCode = (fields: Fields): string | undefined => {
  const value = fields.security_code;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 1_000_000) {
    return String(value).padStart(6, '0');
  }
  return textOf(fields, 'security_code');
};

export const SIX_DIGITS = /^[0-9]{6}$/;

/** `need_send`: true/false, or "true"/"True"/"1"/"false"/"False"/"0" from a form; absent means false. */
export const needSend = (fields: Fields): boolean => {
  const value = fields.need_send;
  if (value === undefined || value === null || value === '') return false;
  const got = flag(value);
  if (got === undefined) throw refuse(-1, Info.missing('need_send'));
  return got;
};
