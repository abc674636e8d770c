import type { MailMessage } from '@parley/kit';

type Mail = Omit<MailMessage, 'to'>;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, body: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
  `<body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:32rem;margin:2rem auto;color:#222">${body}` +
  `<p style="color:#777;font-size:0.85rem">If you did not ask for this, you can ignore this mail.</p></body></html>`;

const codeBlock = (code: string): string =>
  `<p style="font-size:2rem;letter-spacing:0.3rem;font-weight:bold;font-family:monospace">${code}</p>`;

export const verificationCodeMail = (name: string, code: string, minutes: number): Mail => ({
  subject: 'Your Parley verification code',
  text: `Hello ${name},\n\nYour code to confirm this email address is:\n\n${code}\n\nIt is valid for ${minutes} minutes.\n`,
  html: page(
    'Confirm your email',
    `<p>Hello ${escapeHtml(name)},</p><p>Your code to confirm this email address is:</p>${codeBlock(code)}` +
      `<p>It is valid for ${minutes} minutes.</p>`,
  ),
});

export const verificationLinkMail = (name: string, url: string, hours: number): Mail => ({
  subject: 'Confirm your Parley email address',
  text: `Hello ${name},\n\nOpen this link to confirm this email address:\n\n${url}\n\nIt works once, for ${hours} hours.\n`,
  html: page(
    'Confirm your email',
    `<p>Hello ${escapeHtml(name)},</p><p><a href="${escapeHtml(url)}">Confirm this email address</a></p>` +
      `<p>Or paste this into your browser:<br>${escapeHtml(url)}</p><p>It works once, for ${hours} hours.</p>`,
  ),
});

export const loginCodeMail = (name: string, code: string, minutes: number): Mail => ({
  subject: 'Your Parley login code',
  text: `Hello ${name},\n\nYour one-time login code is:\n\n${code}\n\nIt is valid for ${minutes} minutes. Never share it.\n`,
  html: page(
    'Your login code',
    `<p>Hello ${escapeHtml(name)},</p><p>Your one-time login code is:</p>${codeBlock(code)}` +
      `<p>It is valid for ${minutes} minutes. Never share it.</p>`,
  ),
});

export const emailChangeCodeMail = (name: string, code: string, minutes: number): Mail => ({
  subject: 'Confirm your new Parley email address',
  text: `Hello ${name},\n\nYour code to make this your Parley email address is:\n\n${code}\n\nIt is valid for ${minutes} minutes.\n`,
  html: page(
    'Confirm your new email',
    `<p>Hello ${escapeHtml(name)},</p><p>Your code to make this your Parley email address is:</p>${codeBlock(code)}` +
      `<p>It is valid for ${minutes} minutes.</p>`,
  ),
});

/** To the old address: the change is announced where the owner still reads. */
export const emailChangeNoticeMail = (name: string, newEmail: string): Mail => ({
  subject: 'Your Parley email address is being changed',
  text:
    `Hello ${name},\n\nSomeone signed in to your account asked to change its email address to ${newEmail}.\n` +
    'If that was not you, change your password now and log out all sessions.\n',
  html: page(
    'Email change requested',
    `<p>Hello ${escapeHtml(name)},</p><p>Someone signed in to your account asked to change its email address to ` +
      `<b>${escapeHtml(newEmail)}</b>.</p><p>If that was not you, change your password now and log out all sessions.</p>`,
  ),
});
