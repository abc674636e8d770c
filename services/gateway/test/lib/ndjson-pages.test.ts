import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStamp, type ItemPage, ndjsonPages } from '../../src/lib/ndjson-pages.ts';

/** `pages` pages of `size` numbered items; `failAt` makes that page's fetch throw. */
const pager = (pages: number, size: number, failAt?: number) => {
  const asked: number[] = [];
  const pageOf = (n: number): ItemPage<{ n: number }> => ({
    items: Array.from({ length: size }, (_, i) => ({ n: n * size + i })),
    nextCursor: n + 1 < pages ? String(n + 1) : null,
  });
  return {
    asked,
    first: pageOf(0),
    next: async (cursor: string) => {
      const n = Number(cursor);
      asked.push(n);
      if (n === failAt) throw new Error('the audit log went away');
      return pageOf(n);
    },
  };
};

let app: FastifyInstance | undefined;
afterEach(async () => app?.close());

const serve = async (body: () => NodeJS.ReadableStream): Promise<string> => {
  app = Fastify();
  app.get('/export', async (_req, reply) => reply.type('application/x-ndjson').send(body()));
  return `${await app.listen({ port: 0, host: '127.0.0.1' })}/export`;
};

describe('ndjsonPages', () => {
  it('writes every item of every page as one JSON line, in page order', async () => {
    const p = pager(3, 4);
    const url = await serve(() => ndjsonPages({ first: p.first, next: p.next }));
    const res = await fetch(url);
    const lines = (await res.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line).n)).toEqual([...Array(12).keys()]);
    expect(p.asked).toEqual([1, 2]);
  });

  it('writes nothing for an empty first page and asks for no other', async () => {
    const next = async (): Promise<ItemPage<unknown>> => {
      throw new Error('not asked');
    };
    const url = await serve(() => ndjsonPages({ first: { items: [], nextCursor: null }, next }));
    expect(await (await fetch(url)).text()).toBe('');
  });

  it('cuts the download short when a later page fails: the client gets an error, not a shorter file', async () => {
    const p = pager(5, 100, 3);
    const failures: number[] = [];
    const url = await serve(() =>
      ndjsonPages({ first: p.first, next: p.next, onFailure: (_err, lines) => failures.push(lines) }),
    );
    const res = await fetch(url);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(failures).toEqual([300]);
  });

  it('stops asking for pages once the reader is gone', async () => {
    const p = pager(10_000, 1_000);
    const stream = ndjsonPages({ first: p.first, next: p.next });
    for await (const _chunk of stream) break;
    const asked = p.asked.length;
    expect(stream.destroyed).toBe(true);
    expect(asked).toBeLessThan(5);
  });
});

describe('fileStamp', () => {
  it('is the UTC instant without separators, whatever offset it was given in', () => {
    expect(fileStamp('2024-05-01T10:00:00.000Z')).toBe('20240501T100000Z');
    expect(fileStamp('2024-05-01T12:30:05+02:00')).toBe('20240501T103005Z');
  });
});
