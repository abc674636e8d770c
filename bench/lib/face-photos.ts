import { readFile } from 'node:fs/promises';

/** The shared fixtures, beside the repository (CI clones `../shared` next to it). */
const FIXTURES = new URL('../../../shared/fixtures/faces/', import.meta.url);

export const PEOPLE = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'] as const;

export interface Photo {
  person: string;
  filename: string;
  bytes: Buffer;
}

const read = async (person: string, filename: string): Promise<Photo> => ({
  person,
  filename,
  bytes: await readFile(new URL(`${person}/${filename}`, FIXTURES)),
});

/** 150×150 crops: photos 1–3 of each person are enrolled, 4–5 searched (as the accuracy test does). */
export const crops = (numbers: number[]): Promise<Photo[]> =>
  Promise.all(PEOPLE.flatMap((person) => numbers.map((n) => read(person, `${person}${n}.png`))));

/** The five group photos (3–6 faces each, 1366 px wide). */
export const groups = (): Promise<Photo[]> => Promise.all([1, 2, 3, 4, 5].map((n) => read('groups', `bbt${n}.jpg`)));

/** Nearest-rank percentile. */
export const percentile = (values: ArrayLike<number>, p: number): number => {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
};

export const mean = (values: ArrayLike<number>): number => {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return values.length === 0 ? Number.NaN : sum / values.length;
};
