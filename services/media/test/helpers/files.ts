import { randomBytes, randomInt } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { TestFile } from './harness.ts';

/**
 * Real files made in the test. Images are noise on a random colour, so no two tests make the same
 * bytes (the blob store is content-addressed).
 */
const canvas = (width: number, height: number) =>
  sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: randomInt(256), g: randomInt(256), b: randomInt(256) },
      noise: { type: 'gaussian', mean: 128, sigma: 30 },
    },
  });

export const png = async (width = 64, height = 48): Promise<TestFile> => ({
  bytes: await canvas(width, height).png().toBuffer(),
  contentType: 'image/png',
  filename: 'picture.png',
});

/** `orientation`: the EXIF tag (6 = turn 90° clockwise to display). */
export const jpeg = async (width = 64, height = 48, orientation?: number): Promise<TestFile> => {
  const image = canvas(width, height).jpeg({ quality: 80 });
  return {
    bytes: await (orientation ? image.withMetadata({ orientation }) : image).toBuffer(),
    contentType: 'image/jpeg',
    filename: 'photo.jpg',
  };
};

export const gif = async (width = 64, height = 48): Promise<TestFile> => ({
  bytes: await canvas(width, height).gif().toBuffer(),
  contentType: 'image/gif',
  filename: 'funny.gif',
});

export const webp = async (width = 64, height = 48): Promise<TestFile> => ({
  bytes: await canvas(width, height).webp().toBuffer(),
  contentType: 'image/webp',
  filename: 'sticker.webp',
});

/** One colour, so even a large picture is a small file. */
export const flatPng = async (width: number, height: number): Promise<TestFile> => ({
  bytes: await sharp({
    create: { width, height, channels: 3, background: { r: randomInt(256), g: randomInt(256), b: randomInt(256) } },
  })
    .png()
    .toBuffer(),
  contentType: 'image/png',
  filename: 'flat.png',
});

/** A WAV written by hand: RIFF header, fmt chunk, then 16-bit mono PCM noise. */
export const wav = (seconds = 0.25, sampleRate = 8000): TestFile => {
  const data = randomBytes(Math.round(seconds * sampleRate) * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return { bytes: Buffer.concat([header, data]), contentType: 'audio/wav', filename: 'hello.wav' };
};

export const binary = (size = 2048, contentType = 'application/pdf', filename = 'report.pdf'): TestFile => ({
  bytes: randomBytes(size),
  contentType,
  filename,
});

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

const crc32 = (bytes: Buffer): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

const pngChunk = (type: string, data: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};

/**
 * A valid PNG written by hand: signature, IHDR declaring `width` × `height` (8-bit RGB), one small
 * IDAT and IEND. With 100000 × 100000 it is a decompression bomb: under 100 bytes that would
 * decode to 30 GB.
 */
export const handmadePng = (width: number, height: number, idat: Buffer = deflateSync(randomBytes(64))): TestFile => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return {
    bytes: Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]),
    contentType: 'image/png',
    filename: 'bomb.png',
  };
};
