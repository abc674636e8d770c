import type { BenchResult, Column, Machine } from './types.ts';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const twoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const formatFigure = (value: number | undefined, column: Column): string => {
  if (value === undefined || Number.isNaN(value)) return '—';
  switch (column.unit) {
    case 'req/s':
    case 'count':
      return integer.format(value);
    case 'ms':
      return `${column.signed && value > 0 ? '+' : ''}${twoDecimals.format(value)}`;
    case 'x':
      return `${twoDecimals.format(value)}×`;
    case '%':
      return `${integer.format(value)}%`;
  }
};

/** The unit joins the name where it is not already visible in the name or the printed figure. */
const header = (column: Column): string =>
  column.unit === 'ms' || (column.unit === 'req/s' && !column.key.includes('req/s'))
    ? `${column.key} (${column.unit})`
    : column.key;

/** Header then one line per case; a skipped case shows its reason instead of figures. */
const cells = (result: BenchResult): { head: string[]; body: string[][] } => ({
  head: ['case', ...result.columns.map(header)],
  body: result.rows.map((row) => [
    row.case === result.limit ? `${row.case} (limit)` : row.case,
    ...result.columns.map((c, i) => (row.skipped ? (i === 0 ? 'not run' : '—') : formatFigure(row.figures[c.key], c))),
  ]),
});

const notes = (result: BenchResult): string[] => [
  ...result.rows.filter((r) => r.skipped).map((r) => `${r.case}: not run — ${r.skipped}`),
  `settings: ${Object.entries(result.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}`,
];

export function textTable(result: BenchResult): string {
  const { head, body } = cells(result);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), '', ...notes(result)].join('\n');
}

/** Padded and aligned as Biome formats markdown, so the generated RESULTS.md passes `biome check`. */
export function markdownTable(result: BenchResult): string {
  const { head, body } = cells(result);
  const widths = head.map((h, i) => Math.max(3, h.length, ...body.map((r) => (r[i] ?? '').length)));
  const pad = (c: string, i: number): string => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!));
  const row = (r: string[]): string => `| ${r.map(pad).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [row(head), rule, ...body.map(row), '', ...notes(result).map((n) => `- ${n}`)].join('\n');
}

export const describeMachine = (m: Machine): string =>
  `${m.cpuCount} × ${m.cpuModel}, ${m.totalMemoryGiB} GiB RAM, Node ${m.node} on ${m.platform}`;
