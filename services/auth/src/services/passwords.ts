import { randomBytes } from 'node:crypto';
import { hash, type Options, parseOptions, verify } from '@node-rs/argon2';
import type { AuthConfig } from '../config.ts';

export interface Passwords {
  hash(secret: string): Promise<string>;
  /** Always costs one argon2 verification, also when there is no hash: unknown users take as long as wrong passwords. */
  verify(stored: string | null | undefined, secret: string): Promise<boolean>;
  /** The hash was made with weaker settings than the configured ones. */
  needsRehash(stored: string): boolean;
}

// `Algorithm` is an ambient const enum, which isolatedModules cannot read: 2 is Argon2id.
const ARGON2ID = 2 as Options['algorithm'];

/** argon2id (used for passwords and mailed codes alike) with the configured cost. */
export const createPasswords = async (config: AuthConfig): Promise<Passwords> => {
  const options: Options = {
    algorithm: ARGON2ID,
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
  };
  const dummy = await hash(randomBytes(16).toString('base64url'), options);
  return {
    hash: (secret) => hash(secret, options),
    async verify(stored, secret) {
      try {
        const ok = await verify(stored ?? dummy, secret);
        return ok && Boolean(stored);
      } catch {
        return false;
      }
    },
    needsRehash(stored) {
      try {
        const p = parseOptions(stored);
        return (
          p.algorithm !== ARGON2ID ||
          p.memoryCost < options.memoryCost! ||
          p.timeCost < options.timeCost! ||
          p.parallelism < options.parallelism!
        );
      } catch {
        return true;
      }
    },
  };
};
