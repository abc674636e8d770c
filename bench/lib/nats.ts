import { connect } from 'node:net';

/**
 * Whether a NATS server answers at the first URL of `url` (a comma-separated list is allowed):
 * connects and waits for its INFO line, at most `timeoutMs`. Resolves to the reason when it does not.
 */
export function probeNats(url: string, timeoutMs = 2_000): Promise<{ ok: true } | { ok: false; reason: string }> {
  let target: URL;
  try {
    target = new URL(url.split(',')[0]!.trim());
  } catch {
    return Promise.resolve({ ok: false, reason: `NATS_URL "${url}" is not a URL` });
  }
  const host = target.hostname || '127.0.0.1';
  const port = Number(target.port || 4222);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: { ok: true } | { ok: false; reason: string }): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => done({ ok: false, reason: `no answer from NATS at ${host}:${port} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once('data', (data) =>
      done(data.toString().startsWith('INFO') ? { ok: true } : { ok: false, reason: `${host}:${port} is not a NATS server` }),
    );
    socket.once('error', (err) => done({ ok: false, reason: `NATS at ${host}:${port} unreachable: ${err.message}` }));
  });
}
