import { randomUUID } from 'node:crypto';
import { request } from 'node:http';

export interface StreamedUpload {
  status: number | undefined;
  body: Record<string, unknown> | undefined;
  /** File bytes written when the answer's headers arrived (undefined: no answer). */
  sentAtAnswer: number | undefined;
  /** File bytes written in all. */
  sent: number;
  /** The server closed the connection before the client had sent everything. */
  cutOff: boolean;
}

export interface StreamedUploadOptions {
  url: string;
  token: string;
  kind?: string;
  filename?: string;
  /** The file's first bytes (what the type is sniffed from). */
  head: Buffer;
  /** File size in all: `head`, then filler chunks up to it. */
  total: number;
  /** Keep sending after the answer until everything is sent or the server cuts the connection. */
  keepSending?: boolean;
  /** Called after each chunk written (for sampling memory as the upload runs). */
  onProgress?: (sent: number) => void;
}

/**
 * An upload written chunk by chunk as a client program would stream a big file (chunked encoding,
 * backpressure respected), from one reused buffer so the client itself holds almost nothing.
 * Unlike fetch, it reports exactly when the answer came and whether the server cut the connection.
 */
export const streamUpload = (o: StreamedUploadOptions): Promise<StreamedUpload> =>
  new Promise((resolve) => {
    const boundary = `parley-${randomUUID()}`;
    const kindPart = o.kind ? `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n${o.kind}\r\n` : '';
    const preamble = Buffer.from(
      `${kindPart}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${o.filename ?? 'big.bin'}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const filler = Buffer.alloc(256 * 1024, 0x5a);
    const result: StreamedUpload = { status: undefined, body: undefined, sentAtAnswer: undefined, sent: 0, cutOff: false };
    let answered = false;
    let ended = false;
    const done = (): void => {
      if (!ended) return;
      resolve(result);
    };
    const req = request(o.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    req.on('response', (res) => {
      result.status = res.statusCode;
      result.sentAtAnswer = result.sent;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        result.body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        answered = true;
        if (!o.keepSending) req.destroy();
      });
    });
    req.on('error', () => {
      if (result.sent < o.total) result.cutOff = true;
    });
    req.on('close', () => {
      ended = true;
      done();
    });

    const writable = (): Promise<void> =>
      new Promise((ready) => {
        // Once the answer is in, a ClientRequest no longer relays its socket's 'drain': listen to both.
        const socket = req.socket;
        const go = (): void => {
          req.off('drain', go);
          req.off('close', go);
          socket?.off('drain', go);
          ready();
        };
        req.once('drain', go);
        req.once('close', go);
        socket?.once('drain', go);
      });

    void (async () => {
      req.write(preamble);
      let chunk: Buffer = o.head;
      while (result.sent < o.total && !req.destroyed && !(answered && !o.keepSending)) {
        const piece = chunk.subarray(0, o.total - result.sent);
        result.sent += piece.length;
        if (!req.write(piece)) await writable();
        o.onProgress?.(result.sent);
        chunk = filler;
      }
      if (!req.destroyed) req.end(`\r\n--${boundary}--\r\n`);
    })();
  });
