import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

const STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d1d1f;line-height:1.5}
h1{font-size:1.4rem}button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:#2453d4;color:#fff;cursor:pointer}
.note{color:#555;font-size:.9rem}`;

// The one inline style is allowed by its hash; nothing else may load or run.
const CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A small self-contained page: no external assets, no script, a strict CSP; `body` must already be escaped. */
export const sendPage = (reply: FastifyReply, status: number, state: string, title: string, body: string): string => {
  reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · Parley</title><style>${STYLE}</style></head>
<body><main data-state="${escapeHtml(state)}"><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>
`;
};
