import formbody from '@fastify/formbody';
import { AuthEndpoints, AuthRoutes, isParleyError, type TokenPair } from '@parley/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { escapeHtml, sendPage } from '../lib/html.ts';
import { registerRoute } from '../lib/route.ts';

export interface VerifyEmailRoutesOptions {
  timeoutMs: number;
}

const MAX_TOKEN = 200;

const fromForm = (req: FastifyRequest): boolean =>
  (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

const invalidLinkPage = (reply: FastifyReply): string =>
  sendPage(
    reply,
    400,
    'invalid',
    'This link is no longer valid',
    '<p>It was used already, has expired, or was copied incompletely. Ask the app to send a new verification email.</p>',
  );

/**
 * Email verification: the code or link token as JSON (answers tokens), and the page the link in
 * the mail opens. Opening the page only looks at the link (mail scanners follow links); its button
 * posts the token as a form, which spends it and answers a small HTML result.
 */
export async function verifyEmailRoutes(app: FastifyInstance, opts: VerifyEmailRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  // Form bodies only here, for the confirm page's button; every other route takes JSON.
  await app.register(formbody, { bodyLimit: 4_096 });

  registerRoute(app, AuthRoutes.verifyEmail, async ({ body, client, req, reply }) => {
    const form = fromForm(req);
    let tokens: TokenPair;
    try {
      tokens =
        'token' in body
          ? await bus.request(AuthEndpoints.verifyEmailLink, { token: body.token, client }, { timeoutMs: opts.timeoutMs })
          : await bus.request(AuthEndpoints.verifyEmailCode, { ...body, client }, { timeoutMs: opts.timeoutMs });
    } catch (err) {
      if (!form || !isParleyError(err) || err.status >= 500) throw err;
      if (err.code === 'LINK_INVALID') return invalidLinkPage(reply) as never;
      return sendPage(
        reply,
        err.status,
        'failed',
        'The address could not be confirmed',
        `<p>${escapeHtml(err.message)}</p>`,
      ) as never;
    }
    if (!form) return tokens;
    return sendPage(
      reply,
      200,
      'verified',
      'Your email address is confirmed',
      `<p><strong>${escapeHtml(tokens.user.email)}</strong> is confirmed. You can close this page and sign in to Parley.</p>`,
    ) as never;
  });

  app.get(
    '/auth/verify-email',
    {
      schema: {
        summary: 'The page the verification link opens: shows whether the link is still good, with a button that confirms',
        description: 'Opening it changes nothing (mail scanners follow links); the button POSTs the token to /auth/verify-email.',
        tags: ['accounts'],
        produces: ['text/html'],
        querystring: Type.Object({ token: Type.Optional(Type.String()) }),
        response: { 200: { description: 'HTML confirm page', type: 'string' } },
      },
    },
    async (req, reply) => {
      const { token } = req.query as { token?: string };
      if (!token || token.length > MAX_TOKEN) return invalidLinkPage(reply);
      const link = await bus.request(AuthEndpoints.inspectEmailLink, { token }, { timeoutMs: opts.timeoutMs, retries: 1 });
      if (!link.valid) return invalidLinkPage(reply);
      const who = link.email ? ` for <strong>${escapeHtml(link.email)}</strong>` : '';
      return sendPage(
        reply,
        200,
        'valid',
        'Confirm your email address',
        `<p>Press the button to confirm the Parley account${who}.</p>
<form method="post" action="verify-email"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Confirm my email address</button></form>
<p class="note">If you did not create a Parley account, ignore this page; nothing happens until the button is pressed.</p>`,
      );
    },
  );
}
