import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Real files of each kind, made here: nothing is read from disk. */

const picture = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 90, b: 40 } } });

export const png = (width = 64, height = 48): Promise<Buffer> => picture(width, height).png().toBuffer();
export const jpeg = (width = 64, height = 48): Promise<Buffer> => picture(width, height).jpeg().toBuffer();
export const gif = (width = 64, height = 48): Promise<Buffer> => picture(width, height).gif().toBuffer();
export const webp = (width = 64, height = 48): Promise<Buffer> => picture(width, height).webp().toBuffer();

/** A PNG of random pixels: it barely compresses, so `side` sets its size (700 → about 1.5 MB). */
export const noisePng = (side: number): Promise<Buffer> =>
  sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();

/** Half a second of a 440 Hz tone, 16-bit mono PCM at 8 kHz, in a RIFF/WAVE container. */
export const wav = (): Buffer => {
  const rate = 8000;
  const samples = rate / 2;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12_000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
};

const OGG_CRC = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

const oggPage = (payload: Buffer, sequence: number, headerType: number, granule: bigint): Buffer => {
  const segments: number[] = [];
  for (let left = payload.length; ; left -= 255) {
    segments.push(Math.min(left, 255));
    if (left < 255) break;
  }
  const page = Buffer.alloc(27 + segments.length + payload.length);
  page.write('OggS', 0, 'ascii');
  page.writeUInt8(0, 4);
  page.writeUInt8(headerType, 5);
  page.writeBigInt64LE(granule, 6);
  page.writeUInt32LE(0x5041524c, 14); // stream serial number
  page.writeUInt32LE(sequence, 18);
  page.writeUInt8(segments.length, 26);
  Buffer.from(segments).copy(page, 27);
  payload.copy(page, 27 + segments.length);
  let crc = 0;
  for (const byte of page) crc = ((crc << 8) ^ (OGG_CRC[((crc >>> 24) ^ byte) & 0xff] as number)) >>> 0;
  page.writeUInt32LE(crc, 22);
  return page;
};

/** An Ogg Opus stream: the OpusHead and OpusTags pages (RFC 7845), then one page of silent frames. */
export const oggOpus = (): Buffer => {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'ascii');
  head.writeUInt8(1, 8);
  head.writeUInt8(1, 9);
  head.writeUInt16LE(312, 10);
  head.writeUInt32LE(48_000, 12);
  const vendor = Buffer.from('parley-test');
  const tags = Buffer.concat([Buffer.from('OpusTags'), Buffer.alloc(4), vendor, Buffer.alloc(4)]);
  tags.writeUInt32LE(vendor.length, 8);
  // 50 frames of 20 ms: TOC 0xF8 (CELT-only fullband 20 ms, one frame), then a silence frame.
  const frames = Buffer.alloc(50 * 3, Buffer.from([0xf8, 0xff, 0xfe]));
  return Buffer.concat([
    oggPage(head, 0, 0x02, 0n),
    oggPage(tags, 1, 0x00, 0n),
    oggPage(frames.subarray(0, 3), 2, 0x04, 48_000n),
  ]);
};

/** A one-page PDF that says hello, cross-reference offsets computed. */
export const pdf = (): Buffer => {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    '<< /Length 41 >>\nstream\nBT /F1 18 Tf 20 40 Td (Hello) Tj ET\nendstream',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
};

const crc32 = (bytes: Buffer): number => {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
};

const pngChunk = (type: string, data: Buffer): Buffer => {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), 8 + data.length);
  return out;
};

/** A decompression bomb: a few hundred bytes whose header declares width × height RGB pixels. */
export const bombPng = (width = 100_000, height = 100_000): Buffer => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(4096))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
};

export const svg = (): Buffer =>
  Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><script>alert(1)</script></svg>');
export const html = (): Buffer => Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
