/**
 * The shell of a benchmark server process: start, print `{"url": …}` as one JSON line on stdout
 * (the runner waits for it), close on SIGTERM/SIGINT, exit 1 with the error on stderr if start fails.
 */
export interface Started {
  url: string;
  /** More addresses the runner needs (another listener's URL), printed in the same line. */
  info?: Record<string, string>;
  close(): Promise<void>;
}

export async function serveChild(name: string, start: () => Promise<Started>): Promise<void> {
  let server: Started;
  try {
    server = await start();
  } catch (err) {
    process.stderr.write(`${name}: failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    // Bounded: a close that hangs must not keep the process (and the runner) waiting.
    const timer = setTimeout(() => process.exit(2), 10_000);
    timer.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${name}: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The runner going away closes our stdin pipe: do not outlive it.
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ ...server.info, url: server.url })}\n`);
}
