import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, loadConfig } from '@parley/kit';
import { type Static, Type } from 'typebox';

export const MediaConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts.media).properties,
});
export type MediaConfig = Static<typeof MediaConfigSchema>;

export const loadMediaConfig = (env: NodeJS.ProcessEnv = process.env): MediaConfig => loadConfig(MediaConfigSchema, env);
