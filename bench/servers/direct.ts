/**
 * The server of bus-hop: the whole of Parley in one process (`startStack`, over the bus the environment
 * picks; its gateway's URL goes out as `info.gateway`) and beside it a second listener (`url`) answering
 * the same authenticated read without the bus: `GET /api/v1/rooms` registered from the same contract
 * (schemas, serializer), behind the gateway's own authenticate plugin (EdDSA access token, revocations),
 * its handler calling chat-notify's domain (`rooms.list`) on chat-notify's own database pool.
 */

import { ChatRoutes } from '@parley/contracts';
import { createLogger, fastifyOptions, serviceKit } from '@parley/kit';
import { startStack } from '@parley/stack';
import Fastify from 'fastify';
import { createChatDeps, loadChatNotifyConfig } from '../../services/chat-notify/src/index.ts';
import { createChatDomain } from '../../services/chat-notify/src/services/index.ts';
import { loadGatewayConfig } from '../../services/gateway/src/config.ts';
import { registerRoute } from '../../services/gateway/src/lib/route.ts';
import authenticate from '../../services/gateway/src/plugins/authenticate.ts';
import problem from '../../services/gateway/src/plugins/problem.ts';
import { serveChild } from '../lib/serve-child.ts';

await serveChild('direct', async () => {
  const stack = await startStack({ env: process.env });
  const config = loadGatewayConfig(process.env);
  const direct = Fastify(fastifyOptions(createLogger({ service: 'bench-direct', level: config.LOG_LEVEL })));
  try {
    const chat = stack.services.get('chat-notify');
    if (!chat) throw new Error('the stack runs no chat-notify');
    const domain = createChatDomain(createChatDeps(chat.parley, loadChatNotifyConfig(process.env)));

    // What the authenticate plugin needs of a gateway: problem+json errors and a kit (its bus fetches the JWKS once).
    await direct.register(problem);
    await direct.register(serviceKit, { name: 'gateway', config, shared: stack.shared });
    await direct.register(authenticate, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      busTimeoutMs: config.BUS_TIMEOUT_MS,
    });
    await direct.register(
      async (api) => registerRoute(api, ChatRoutes.listRooms, ({ caller, query }) => domain.rooms.list(caller, query)),
      { prefix: '/api/v1' },
    );
    const address = await direct.listen({ port: 0, host: config.HOST });
    return {
      url: address.replace('0.0.0.0', '127.0.0.1'),
      info: { gateway: stack.url },
      close: async () => {
        await direct.close();
        await stack.close();
      },
    };
  } catch (err) {
    await direct.close().catch(() => {});
    await stack.close().catch(() => {});
    throw err;
  }
});
