import { Readable } from 'node:stream';

export interface ItemPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface NdjsonPagesOptions<T> {
  /** Asked before this is called, so a refusal can still answer as problem+json (no byte sent yet). */
  first: ItemPage<T>;
  next: (cursor: string) => Promise<ItemPage<T>>;
  /** A page that could not be fetched once the response had begun: the stream then fails (the socket is destroyed). */
  onFailure?: (err: unknown, linesWritten: number) => void;
}

/**
 * Every item of a paged list as NDJSON, one line per item, pages asked one at a time as the reader
 * takes them: a slow client holds at most one page in the gateway, and one that leaves stops the paging.
 * A failure mid-way errors the stream, so the file ends abruptly instead of looking complete.
 */
export const ndjsonPages = <T>(options: NdjsonPagesOptions<T>): Readable => {
  let written = 0;
  async function* lines(): AsyncGenerator<string> {
    let page = options.first;
    for (;;) {
      if (page.items.length > 0) {
        yield page.items.map((item) => `${JSON.stringify(item)}\n`).join('');
        written += page.items.length;
      }
      if (page.nextCursor === null) return;
      try {
        page = await options.next(page.nextCursor);
      } catch (err) {
        options.onFailure?.(err, written);
        throw err;
      }
    }
  }
  return Readable.from(lines(), { objectMode: false });
};

/** `2024-05-01T10:00:00.000Z` → `20240501T100000Z`: a timestamp safe in a file name on any system. */
export const fileStamp = (iso: string): string => new Date(iso).toISOString().replace(/\.\d+/, '').replace(/[-:]/g, '');
