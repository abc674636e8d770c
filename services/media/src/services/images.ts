import sharp, { type Metadata } from 'sharp';
import { mediaError } from '../errors.ts';

/** sharp's format names for the types an image kind may hold. */
const FORMAT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

export interface ImageInfo {
  /** As displayed: after EXIF orientation. */
  width: number;
  height: number;
}

// 'error' refuses corrupt data while letting through the benign warnings many real cameras produce.
const FAIL_ON = 'error' as const;

const isPixelLimit = (err: unknown): boolean => /pixel limit/i.test((err as Error)?.message ?? '');

/**
 * Reads the header only: libvips opens the image lazily, so a decompression bomb (a few bytes
 * declaring 100k × 100k) is refused by `limitInputPixels` before a single pixel is decoded.
 */
export const probeImage = async (bytes: Buffer, contentType: string, maxPixels: number): Promise<ImageInfo> => {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: maxPixels, failOn: FAIL_ON }).metadata();
  } catch (err) {
    if (isPixelLimit(err)) throw tooManyPixels(maxPixels);
    throw mediaError('INVALID_IMAGE', 'The image could not be read');
  }
  // The gateway sniffed the type from the magic bytes; a decoder that disagrees means a disguised file.
  if (FORMAT_TYPES[meta.format] !== contentType) {
    throw mediaError('UNSUPPORTED_FILE_TYPE', 'The bytes are not an image of the declared type');
  }
  const { width, height } = meta;
  if (!width || !height) throw mediaError('INVALID_IMAGE', 'The image has no size');
  // Checked here too: not every loader applies limitInputPixels while reading the header alone.
  if (width * height > maxPixels) throw tooManyPixels(maxPixels);
  // Orientations 5–8 turn the picture a quarter: what people see is the other way round.
  const turned = (meta.orientation ?? 1) >= 5;
  return turned ? { width: height, height: width } : { width, height };
};

const tooManyPixels = (maxPixels: number) => mediaError('IMAGE_TOO_LARGE', `The image has more than ${maxPixels} pixels`);

/** Thrown for bytes that will never make a thumbnail: retrying cannot help. */
export class UnusableImage extends Error {
  override readonly name = 'UnusableImage';
}

/**
 * A WebP at most `size` × `size`, upright. sharp drops EXIF, ICC and XMP unless asked to keep them,
 * which keeps a photo's location and camera out of every thumbnail. Animated images: the first frame.
 */
export const makeThumbnail = async (bytes: Buffer, size: number, maxPixels: number): Promise<Buffer> => {
  try {
    return await sharp(bytes, { limitInputPixels: maxPixels, failOn: FAIL_ON })
      .rotate()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .webp()
      .toBuffer();
  } catch (err) {
    throw new UnusableImage(`no thumbnail: ${(err as Error).message}`, { cause: err });
  }
};
