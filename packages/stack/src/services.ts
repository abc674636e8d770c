import { auditLogApp, loadAuditLogConfig } from '@parley/audit-log';
import { authApp, loadAuthConfig } from '@parley/auth';
import { chatNotifyApp, loadChatNotifyConfig } from '@parley/chat-notify';
import type { ServiceName } from '@parley/contracts';
import { faceMatchApp, loadFaceMatchConfig } from '@parley/face-match';
import type { SharedInfra } from '@parley/kit';
import { loadMediaConfig, mediaApp } from '@parley/media';
import type { FastifyPluginAsync } from 'fastify';

export interface ServiceEntry {
  name: ServiceName;
  app: FastifyPluginAsync<{ config: never; shared?: SharedInfra }>;
  loadConfig: (env: NodeJS.ProcessEnv) => unknown;
}

/** Every service behind the gateway, in start order. */
export const serviceEntries: readonly ServiceEntry[] = [
  { name: 'audit-log', app: auditLogApp as ServiceEntry['app'], loadConfig: loadAuditLogConfig },
  { name: 'auth', app: authApp as ServiceEntry['app'], loadConfig: loadAuthConfig },
  { name: 'media', app: mediaApp as ServiceEntry['app'], loadConfig: loadMediaConfig },
  { name: 'chat-notify', app: chatNotifyApp as ServiceEntry['app'], loadConfig: loadChatNotifyConfig },
  { name: 'face-match', app: faceMatchApp as ServiceEntry['app'], loadConfig: loadFaceMatchConfig },
];
