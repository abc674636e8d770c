import type { FastifyInstance } from 'fastify';

/**
 * How long a closing server waits for its open requests. Below close-with-grace's 15 s, which then
 * still leaves the services time to drain; above what any answer but a large download needs.
 */
export const CONNECTION_DRAIN_MS = 10_000;

/**
 * Bounds how long `app.close()` waits for connections. Fastify closes idle keep-alive connections once,
 * when closing starts, and Node's `server.close()` then waits for every other one:
 * - a request answered during the drain leaves its keep-alive connection open, for up to the
 *   keep-alive timeout (72 s): each answer now closes the connections that have gone idle;
 * - a client that stops reading a streamed answer keeps its request unfinished for as long as it
 *   likes, and the process would hang until killed: after `drainMs` whatever is still open is cut,
 *   with one warning.
 */
export const limitCloseWait = (app: FastifyInstance, drainMs = CONNECTION_DRAIN_MS): void => {
  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onResponse', (_req, _reply, done) => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
    done();
  });
  app.addHook('preClose', (done) => {
    closing = true;
    timer = setTimeout(() => {
      app.server.getConnections((_err, open) => {
        app.log.warn({ open, drainMs }, 'closing: connections still open after the drain time are cut');
        app.server.closeAllConnections();
      });
    }, drainMs);
    timer.unref();
    done();
  });
  // Fastify closes the server in the first onClose step, so this runs once it has.
  app.addHook('onClose', (_instance, done) => {
    clearTimeout(timer);
    done();
  });
};
