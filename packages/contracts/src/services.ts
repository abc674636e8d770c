/** The services behind the gateway. Each owns one Postgres schema and one subject prefix. */
export const ServiceNames = ['auth', 'media', 'chat-notify', 'face-match', 'audit-log'] as const;
export type ServiceName = (typeof ServiceNames)[number];

/** Default ops port of each process (healthz, readyz, metrics); the gateway's is `PORT`. */
export const DefaultPorts = {
  gateway: 3000,
  auth: 3001,
  media: 3002,
  'chat-notify': 3003,
  'face-match': 3004,
  'audit-log': 3005,
} as const satisfies Record<ServiceName | 'gateway', number>;
