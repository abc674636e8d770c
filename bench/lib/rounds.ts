import type { BenchRow } from './types.ts';

/**
 * The median of several rounds of one case by `key` (all its figures from that one round, so they agree),
 * with `<key> min` and `<key> max` over the rounds added: the spread the single figure hides.
 */
export function medianRound(rounds: BenchRow[], key: string): BenchRow {
  const sorted = [...rounds].sort((a, b) => a.figures[key]! - b.figures[key]!);
  const median = sorted[Math.floor(sorted.length / 2)];
  if (!median) throw new Error('medianRound: no rounds');
  return {
    ...median,
    figures: { ...median.figures, [`${key} min`]: sorted[0]!.figures[key]!, [`${key} max`]: sorted.at(-1)!.figures[key]! },
  };
}
