import type { TestStack } from '../../src/testing.ts';

/** What a dialect answered: status, headers, the body parsed as JSON when it is JSON (else undefined), and its text. */
export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: dialect bodies are checked field by field against their documents
  body: any;
  text: string;
}

/** A file part of a multipart form. */
export interface FilePart {
  name: string;
  bytes: Uint8Array;
  filename: string;
  type?: string;
}
export type FormPart = { name: string; value: string } | FilePart;

/** Where a dialect is mounted by default: `/compat/<name>` of this stack's gateway. */
export const dialectBase = (stack: Pick<TestStack, 'url'>, name: string): string => `${stack.url}/compat/${name}`;

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Any request, as a legacy client would send it; never throws on an HTTP status. */
export const send = async (url: string, init: RequestInit = {}): Promise<Answer> => {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
};

export const get = (url: string, headers: Record<string, string> = {}): Promise<Answer> => send(url, { headers });

/** A JSON body exactly as given: a legacy client may send numbers where strings are meant. */
export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
  send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** An application/x-www-form-urlencoded body (an HTML form's). */
export const postForm = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> =>
  send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });

/** A multipart/form-data body, parts in the order given (text fields before files, as browsers send them). */
export const postMultipart = (url: string, parts: FormPart[], headers: Record<string, string> = {}): Promise<Answer> => {
  const form = new FormData();
  for (const part of parts) {
    if ('value' in part) form.append(part.name, part.value);
    else form.append(part.name, new Blob([part.bytes], { type: part.type ?? 'application/octet-stream' }), part.filename);
  }
  return send(url, { method: 'POST', headers, body: form });
};
