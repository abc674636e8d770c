import { createHash, type Hash } from 'node:crypto';
import { ParleyError } from '@parley/contracts';
import type { ByteRange } from './types.ts';

const SHA256 = /^[0-9a-f]{64}$/;

/** The only strings that may become a file path or an object name: anything else could traverse or alias. */
export const assertSha256 = (sha256: unknown): string => {
  if (typeof sha256 !== 'string' || !SHA256.test(sha256)) {
    throw new ParleyError('BAD_REQUEST', 'invalid blob id: expected 64 lowercase hex characters (sha256)');
  }
  return sha256;
};

/** `parley` → `parley_blobs`; object store bucket names allow only `[-\w]`. */
export const blobBucketName = (namespace: string, name = 'blobs'): string =>
  `${namespace.replace(/[^-\w]/g, '_')}_${name.replace(/[^-\w]/g, '_')}`;

/** Validates an inclusive range against the blob's size; an end past the last byte is clamped, as HTTP does. */
export const resolveRange = (range: ByteRange | undefined, size: number): { start: number; end: number } => {
  if (!range) return { start: 0, end: size - 1 };
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || start >= size) {
    throw new ParleyError('RANGE_NOT_SATISFIABLE', `range ${start}-${end} is outside a ${size}-byte blob`, {
      status: 416,
      extra: { size },
    });
  }
  return { start, end: Math.min(end, size - 1) };
};

const abortPromise = (signal: AbortSignal) => {
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
};

/** Hashes and counts bytes as they pass, refusing more than `maxBytes` before they are written anywhere. */
export class Meter {
  readonly #hash: Hash = createHash('sha256');
  #bytes = 0;
  readonly #maxBytes: number | undefined;

  constructor(maxBytes?: number) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  digest(): string {
    return this.#hash.digest('hex');
  }

  async *measure(source: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    signal?.throwIfAborted();
    const iterator = source[Symbol.asyncIterator]();
    // A stalled source must not hold an aborted upload open, so the abort races every read.
    const aborted = signal ? abortPromise(signal) : undefined;
    let finished = false;
    try {
      for (;;) {
        const next = aborted ? await Promise.race([iterator.next(), aborted.promise]) : await iterator.next();
        if (next.done) {
          finished = true;
          return;
        }
        const chunk = next.value;
        this.#bytes += chunk.byteLength;
        if (this.#maxBytes !== undefined && this.#bytes > this.#maxBytes) {
          throw new ParleyError('FILE_TOO_LARGE', `the upload exceeds ${this.#maxBytes} bytes`, {
            extra: { limit: this.#maxBytes },
          });
        }
        this.#hash.update(chunk);
        yield chunk;
      }
    } finally {
      aborted?.dispose();
      // Not awaited: an async generator's return() waits behind a pending next() that may never settle.
      if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
  }
}
