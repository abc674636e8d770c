/** The whole of Parley in one process (`startStack`): gateway and services over the bus the environment picks. */

import { startStack } from '@parley/stack';
import { serveChild } from '../lib/serve-child.ts';

await serveChild('stack', async () => {
  const stack = await startStack({ env: process.env });
  return { url: stack.url, close: () => stack.close() };
});
