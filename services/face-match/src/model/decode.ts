import sharp from 'sharp';

export interface DecodedImage {
  /** width × height × 3 bytes, sRGB, upright (EXIF orientation applied). */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Displayed size of the photo as uploaded; differs from width/height when it was scaled down. */
  originalWidth: number;
  originalHeight: number;
}

export type DecodeFailure = 'INVALID_IMAGE' | 'IMAGE_TOO_LARGE';

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(readonly reason: DecodeFailure) {
    super(reason);
  }
}

/**
 * The detector sees 512 × 512 and the recognition net 150 × 150: more pixels than this only cost
 * time and memory, so big photos are scaled down first (boxes are scaled back by the caller).
 */
export const DETECT_MAX_SIDE = 1280;

const isPixelLimit = (err: unknown): boolean => /pixel limit/i.test((err as Error)?.message ?? '');

/**
 * Any format sharp reads, under a pixel limit checked on the header before decoding (a decompression
 * bomb costs nothing); grayscale becomes RGB and transparency is laid on grey.
 */
export const decodeImage = async (bytes: Uint8Array, maxPixels: number): Promise<DecodedImage> => {
  const open = () => sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' });
  try {
    const meta = await open().metadata();
    if (!meta.width || !meta.height) throw new DecodeError('INVALID_IMAGE');
    if (meta.width * meta.height > maxPixels) throw new DecodeError('IMAGE_TOO_LARGE');
    const turned = (meta.orientation ?? 1) >= 5;
    const { data, info } = await open()
      .rotate()
      .resize(DETECT_MAX_SIDE, DETECT_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#808080' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new DecodeError('INVALID_IMAGE');
    return {
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      originalWidth: turned ? meta.height : meta.width,
      originalHeight: turned ? meta.width : meta.height,
    };
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(isPixelLimit(err) ? 'IMAGE_TOO_LARGE' : 'INVALID_IMAGE');
  }
};
