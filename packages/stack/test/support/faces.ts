import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FACE_UPLOADS_STORE } from '@parley/contracts';
import { type BlobStore, createBlobStore } from '@parley/kit';
import sharp from 'sharp';

/** ../shared beside the repo, wherever the repo is cloned. */
const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/faces/', import.meta.url));

export const PEOPLE = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'] as const;
export type Person = (typeof PEOPLE)[number];

export interface PhotoFile {
  bytes: Buffer;
  filename: string;
}

/** `penny3.png`: a 150×150 grayscale crop of one face. */
export const portrait = async (person: Person, n: 1 | 2 | 3 | 4 | 5): Promise<PhotoFile> => {
  const filename = `${person}${n}.png`;
  return { bytes: await readFile(join(FIXTURES, person, filename)), filename };
};

/**
 * `bbt3.jpg`, a group photo. Counted by eye: bbt3 shows five people, left to right
 * sheldon, howard, penny, raj, leonard.
 */
export const group = async (n: 1 | 2 | 3 | 4 | 5): Promise<PhotoFile> => {
  const filename = `bbt${n}.jpg`;
  return { bytes: await readFile(join(FIXTURES, 'groups', filename)), filename };
};

/** A real PNG with no face in it: a soft gradient. */
export const landscape = async (): Promise<PhotoFile> => {
  const side = 240;
  const pixels = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) pixels.set([80 + (x >> 2), 140, 200 - (y >> 2)], (y * side + x) * 3);
  const bytes = await sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toBuffer();
  return { bytes, filename: 'sky.png' };
};

/** Bytes of no type at all. */
export const noise = (): PhotoFile => ({ bytes: randomBytes(8_000), filename: 'noise.bin' });

/** The gateway's scratch store of face photos with `DATA_DIR=memory://` (kit's blob/fs.ts `blobRoot`): every file in it. */
export const scratchFiles = async (): Promise<string[]> => {
  const root = join(tmpdir(), `parley-${FACE_UPLOADS_STORE}-${process.pid}`);
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
};

/** The scratch store as the stack's gateway opened it (either driver): to ask whether a photo's bytes are still there. */
export const openScratch = (env: NodeJS.ProcessEnv): Promise<BlobStore> =>
  createBlobStore({
    driver: env.BLOB_STORE === 'nats' ? 'nats' : 'fs',
    dataDir: env.DATA_DIR as string,
    natsUrl: env.NATS_URL,
    namespace: env.BUS_NAMESPACE as string,
    name: FACE_UPLOADS_STORE,
  });
