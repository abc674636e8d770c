import { describe, expect, it } from 'vitest';
import { contentDisposition, MAX_FILENAME_LENGTH, sanitizeFilename } from '../../src/lib/filename.ts';

describe('sanitizeFilename', () => {
  it('keeps a plain name, drops the path, and falls back when nothing is left', () => {
    expect(sanitizeFilename('holiday photo.jpg')).toBe('holiday photo.jpg');
    expect(sanitizeFilename('C:\\Users\\me\\notes.txt')).toBe('notes.txt');
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('..')).toBe('file');
    expect(sanitizeFilename(undefined)).toBe('file');
    expect(sanitizeFilename('\r\n')).toBe('file');
  });

  it('turns control and bidi characters into spaces, after decoding what browsers escape in form file names', () => {
    expect(sanitizeFilename('%22evil%0D%0AX-Injected: 1.pdf')).toBe('"evil X-Injected: 1.pdf');
    expect(sanitizeFilename('invoice\u202Efdp.exe')).toBe('invoice fdp.exe');
    expect(sanitizeFilename('a\u0000b\u007fc')).toBe('a b c');
    expect(sanitizeFilename('100%25 done.txt')).toBe('100%25 done.txt');
  });

  it('shortens a long name, keeping its extension and never splitting a surrogate pair', () => {
    const long = sanitizeFilename(`${'a'.repeat(500)}.pdf`);
    expect(long).toHaveLength(MAX_FILENAME_LENGTH);
    expect(long.endsWith('.pdf')).toBe(true);
    const emoji = sanitizeFilename('😀'.repeat(150));
    expect(emoji.length).toBeLessThanOrEqual(MAX_FILENAME_LENGTH);
    expect(/[\ud800-\udbff]$/.test(emoji)).toBe(false);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback with nothing that could end the quoted string, and the real name percent-encoded', () => {
    expect(contentDisposition('attachment', 'report.pdf')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(contentDisposition('inline', 'Ünïcødé "quoted" 50%.png')).toBe(
      `inline; filename="_n_c_d_ _quoted_ 50_.png"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20%22quoted%22%2050%25.png`,
    );
    expect(contentDisposition('attachment', "it's (1)*.txt")).toBe(
      `attachment; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`,
    );
  });

  it('cleans again what it is given: no CR, LF or path reaches the header', () => {
    const value = contentDisposition('attachment', 'dir/"a\r\nSet-Cookie: x=1".pdf');
    expect(value).not.toMatch(/[\r\n]/);
    expect(value).toBe(`attachment; filename="_a Set-Cookie: x=1_.pdf"; filename*=UTF-8''%22a%20Set-Cookie%3A%20x%3D1%22.pdf`);
  });
});
