/** What an SMTP URL says, without its credentials: safe for logs and error messages. */
export interface SmtpEndpoint {
  host: string;
  port: number;
  secure: boolean;
  /** `host:port`, e.g. `smtp.example.com:587`. */
  label: string;
}

/** Parses `smtp://[user:pass@]host[:port]` or `smtps://…`; throws (without echoing credentials) on anything else. */
export const parseSmtpUrl = (smtpUrl: string): SmtpEndpoint => {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw new Error('SMTP URL is not a valid URL (expected smtp://host:port or smtps://host:port)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new Error(`SMTP URL must use smtp:// or smtps:// (got ${url.protocol}//)`);
  }
  if (!url.hostname) throw new Error('SMTP URL has no host');
  const secure = url.protocol === 'smtps:';
  // nodemailer's defaults: 465 for implicit TLS, 587 (submission) otherwise.
  const port = url.port ? Number(url.port) : secure ? 465 : 587;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, secure, label: `${url.hostname}:${port}` };
};

/** Removes any credential from a message: URL userinfo, and the literal user/password of the configured URL. */
export const scrubCredentials = (message: string, smtpUrl: string): string => {
  let out = message.replace(/(\/\/[^:@/\s]*):[^@/\s]+@/g, '$1:***@');
  try {
    const url = new URL(smtpUrl);
    for (const secret of [url.password, decodeURIComponent(url.password)]) {
      if (secret.length >= 3) out = out.split(secret).join('***');
    }
  } catch {
    // not a URL: nothing more to remove
  }
  return out;
};
