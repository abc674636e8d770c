import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** ../shared beside the checkout, wherever that is (CI clones both side by side). */
export const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/faces/', import.meta.url));

export const PEOPLE = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'] as const;
export type Person = (typeof PEOPLE)[number];

/** A 150 × 150 face crop: `crop('amy', 1)`. */
export const crop = (person: Person, n: number): Promise<Buffer> => readFile(`${FIXTURES}${person}/${person}${n}.png`);

export const group = (n: number): Promise<Buffer> => readFile(`${FIXTURES}groups/bbt${n}.jpg`);
