import { type MediaKind, type MediaRules, ParleyError } from '@parley/contracts';
import { UNKNOWN_TYPE } from '../../lib/sniff.ts';

/** The form's text fields the document names (`file` is the file part). */
export const UploadFields = ['name', 'user_id', 'chatroom_id'] as const;
export type UploadField = (typeof UploadFields)[number];
export type UploadFormFields = Partial<Record<UploadField, string>>;

/**
 * Types a chat must not carry, decided from the bytes: programs and installers (file-type recognises them).
 * Scriptable text (HTML, SVG, XML stylesheets, `#!` scripts) has no signature: see `scriptable`.
 */
export const RefusedTypes: readonly string[] = [
  'application/x-msdownload',
  'application/x-elf',
  'application/x-mach-binary',
  'application/java-vm',
  'application/java-archive',
  'application/vnd.android.package-archive',
  'application/x-shockwave-flash',
  'application/x-ms-regedit',
  'application/x-ft-windows-registry-hive',
  'application/x-google-chrome-extension',
  'application/x-xpinstall',
  'application/vnd.ms-htmlhelp',
  'application/x-deb',
  'application/x-rpm',
];

/** What a browser would run if it ever rendered the file: HTML, SVG, an XSLT, or a script with a `#!` line. */
const SCRIPTABLE =
  /<\s*(?:!doctype\s+html|html|head|body|script|svg|iframe|frameset|object|embed|xsl:stylesheet)\b|<\?xml-stylesheet|^\s*#!/i;

/** Text-like types whose first bytes are looked at for markup (everything file-type does not recognise is here). */
const TEXTUAL = (type: string): boolean => type === UNKNOWN_TYPE || type === 'application/xml' || type.startsWith('text/');

export const scriptable = (contentType: string, head: Buffer): boolean => {
  if (!TEXTUAL(contentType)) return false;
  // UTF-16 text would hide its markup from a byte-wise look: its NULs are dropped first.
  const sample = head
    .toString('latin1')
    .replaceAll('\u0000', '')
    .replace(/^\ufeff|^\u00ef\u00bb\u00bf/, '');
  return SCRIPTABLE.test(sample);
};

/** The kind a file is stored as, from its sniffed type: images and voice recordings as such, the rest as files. */
export const kindFor = (rules: MediaRules, contentType: string): MediaKind => {
  for (const kind of ['image', 'voice'] as const) {
    const { types } = rules[kind];
    if (types !== 'any' && types.includes(contentType)) return kind;
  }
  return 'file';
};

/**
 * The kind a chat file is stored as, from its sniffed type and first bytes (the form names none): programs and
 * scriptable text are refused before a byte is stored, images and voice recordings are stored as such (with
 * their limits), anything else as a file.
 */
export const chatKind =
  (rules: MediaRules) =>
  (contentType: string, head: Buffer): MediaKind => {
    if (RefusedTypes.includes(contentType) || scriptable(contentType, head)) {
      throw new ParleyError('UNSUPPORTED_FILE_TYPE', `A chat does not carry this type of file (${contentType})`);
    }
    return kindFor(rules, contentType);
  };
