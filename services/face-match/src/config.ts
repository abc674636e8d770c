import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, loadConfig } from '@parley/kit';
import { type Static, Type } from 'typebox';

export const FaceMatchConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts['face-match']).properties,
});
export type FaceMatchConfig = Static<typeof FaceMatchConfigSchema>;

export const loadFaceMatchConfig = (env: NodeJS.ProcessEnv = process.env): FaceMatchConfig =>
  loadConfig(FaceMatchConfigSchema, env);
