import type { FastifyInstance } from 'fastify';
import captcha from './captcha/index.ts';
import { type DialectMount, type DialectName, parseCompatDialects } from './config.ts';
import groupchat from './groupchat/index.ts';
import type { DialectOptions, DialectPlugin } from './kit.ts';
import sessions from './sessions/index.ts';
import statusCodes from './status-codes/index.ts';
import xphoto from './xphoto/index.ts';

const Dialects: Record<DialectName, DialectPlugin> = {
  captcha,
  groupchat,
  sessions,
  'status-codes': statusCodes,
  xphoto,
};

/**
 * The seed dialects (../shared/seeds): each document's API served as written, every route a translation
 * to the same bus calls the canonical routes make. Mounted where COMPAT_DIALECTS says (see config.ts).
 */
export async function compatRoutes(
  app: FastifyInstance,
  opts: Omit<DialectOptions, 'mount' | 'publicBase'> & { publicUrl: string },
): Promise<DialectMount[]> {
  const mounts = parseCompatDialects(opts.config.COMPAT_DIALECTS);
  const publicUrl = opts.publicUrl.replace(/\/+$/, '');
  for (const { name, prefix } of mounts) {
    const { publicUrl: _, ...shared } = opts;
    await app.register(Dialects[name], {
      ...shared,
      mount: prefix,
      publicBase: prefix === '/' ? publicUrl : `${publicUrl}${prefix}`,
      prefix: prefix === '/' ? '' : prefix,
    });
  }
  return mounts;
}
