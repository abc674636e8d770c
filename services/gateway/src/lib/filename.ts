/** Room for the name within the contract's 255, whatever a client sends. */
export const MAX_FILENAME_LENGTH = 200;

// C0 and C1 controls, DEL, and the bidi controls that let `evil\u202Efdp.exe` display as `evilexe.pdf`.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The client's file name made fit for display: no path, no control or bidi characters, at most
 * `MAX_FILENAME_LENGTH` UTF-16 units (keeping a short extension). Browsers send `"`, CR and LF in a
 * form's file name as %22, %0D and %0A (WHATWG multipart encoding); those three are decoded back.
 */
export const sanitizeFilename = (given: string | undefined, fallback = 'file'): string =>
  cleanName(
    (given ?? '').replace(/%(22|0d|0a)/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    fallback,
  );

const cleanName = (given: string, fallback: string): string => {
  const base = given.split(/[\\/]/).at(-1) ?? '';
  const clean = base.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  if (clean === '' || clean === '.' || clean === '..') return fallback;
  return truncate(clean);
};

const truncate = (name: string): string => {
  if (name.length <= MAX_FILENAME_LENGTH) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  let stem = name.slice(0, MAX_FILENAME_LENGTH - ext.length);
  // Never end on half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(stem)) stem = stem.slice(0, -1);
  return `${stem}${ext}`;
};

// RFC 8187 attr-char: everything else is percent-encoded in `filename*`.
const encodeExtValue = (value: string): string =>
  encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * A `Content-Disposition` value (RFC 6266): `filename="…"` is an ASCII fallback with every quote,
 * backslash, percent sign and non-printable replaced; `filename*=UTF-8''…` carries the real name,
 * percent-encoded. Nothing of the name reaches the header unescaped, so it cannot end it or add one.
 */
export const contentDisposition = (type: 'inline' | 'attachment', filename: string): string => {
  // Cleaned again: the name comes from the media service, and a header is no place to trust it.
  const name = cleanName(filename, 'file');
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeExtValue(name)}`;
};
