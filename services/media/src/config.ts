import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, loadConfig } from '@parley/kit';
import { Type, type Static } from 'typebox';

export const MediaConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts['media']).properties,
});
export type MediaConfig = Static<typeof MediaConfigSchema>;

export const loadMediaConfig = (env: NodeJS.ProcessEnv = process.env): MediaConfig => loadConfig(MediaConfigSchema, env);
