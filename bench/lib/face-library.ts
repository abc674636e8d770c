import { randomUUID } from 'node:crypto';
import { createDatabase, type Database } from '@parley/kit';
import { createPhotosRepository } from '../../services/face-match/src/repositories/photos.ts';
import { buildIndex, nearest } from '../../services/face-match/src/services/library-index.ts';
import { DIMENSIONS } from './face-scan.ts';

const SCHEMA = 'face_match';
/** Rows per insert: 5 parameters each, well under Postgres's 65,535 per statement. */
const BATCH = 2_000;

const open = (databaseUrl: string): Promise<Database> => createDatabase({ url: databaseUrl, schema: SCHEMA, maxConnections: 2 });

/**
 * Writes `descriptors` (rows of 128) as stored photos of one identity through face-match's own
 * repository, into the database its processes use: what 100,000 enrolments would leave, without
 * running the model 100,000 times. The service has not searched this owner yet, so nothing is cached.
 */
export async function insertSyntheticLibrary(
  databaseUrl: string,
  library: { ownerId: string; identityId: string; descriptors: Float32Array },
): Promise<void> {
  const database = await open(databaseUrl);
  try {
    const repository = createPhotosRepository(database.db);
    const count = library.descriptors.length / DIMENSIONS;
    const box = { x: 10, y: 10, width: 100, height: 100 };
    for (let start = 0; start < count; start += BATCH) {
      const rows = [];
      for (let row = start; row < Math.min(count, start + BATCH); row++) {
        const vector = library.descriptors.subarray(row * DIMENSIONS, (row + 1) * DIMENSIONS);
        // Stored as the service stores them: 512 bytes of little-endian float32.
        const descriptor = new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
        rows.push({ id: randomUUID(), identityId: library.identityId, ownerId: library.ownerId, box, descriptor });
      }
      await repository.insertMany(rows);
    }
  } finally {
    await database.close();
  }
}

export interface IndexFigures {
  /** Postgres → rows → one Float32Array, as the service's first search of an owner does. */
  loadMs: number;
  rows: number;
  /** The service's own nearest() over that index, one query each. */
  searchMs: number[];
}

/**
 * face-match's own repository and index code, run in this process against the same database: what
 * the first search of an owner spends loading, and what each search spends scanning, without the model.
 */
export async function timeServiceIndex(databaseUrl: string, ownerId: string, queries: Float32Array): Promise<IndexFigures> {
  const database = await open(databaseUrl);
  try {
    const repository = createPhotosRepository(database.db);
    const started = performance.now();
    const index = buildIndex(await repository.forOwner(ownerId), Date.now());
    const loadMs = performance.now() - started;
    const searchMs: number[] = [];
    for (let at = 0; at < queries.length; at += DIMENSIONS) {
      const t0 = performance.now();
      nearest(index, queries.subarray(at, at + DIMENSIONS));
      searchMs.push(performance.now() - t0);
    }
    return { loadMs, rows: index.identityIds.length, searchMs };
  } finally {
    await database.close();
  }
}
