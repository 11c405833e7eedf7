import type { FigureRow, Unit } from './figure.ts';

/** A number in its unit, short: `12.3 ms`, `1,234/s`, `150 MB`. */
export function formatValue({ value, unit }: { value: number | null; unit: Unit }): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (unit === '/s') return `${Math.round(value).toLocaleString('en-US')}/s`;
  if (unit === 'MB') return `${Math.round(value)} MB`;
  if (unit === 's') return `${value.toFixed(value < 10 ? 2 : 1)} s`;
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

function verdict(pass: boolean | null): string {
  if (pass === null) return 'info';
  return pass ? 'pass' : 'MISS';
}

/** The rows as a Markdown table (readable in a terminal, pasted as is into the README). */
export function formatTable(rows: readonly FigureRow[]): string {
  const header = ['figure', 'metric', 'ours', 'baseline', 'ratio', 'target', 'result'];
  const lines = rows.map((row) => [
    row.figure,
    row.metric,
    formatValue({ value: row.ours, unit: row.unit }),
    row.baseline === null
      ? '—'
      : `${formatValue({ value: row.baseline, unit: row.unit })} (${row.baselineLabel})`,
    row.ratio === null ? '—' : `${row.ratio.toFixed(2)}×`,
    row.target,
    verdict(row.pass),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n');
}

/** The notes of the rows that have one, one line each. */
export function formatNotes(rows: readonly FigureRow[]): string {
  return rows
    .filter((row) => row.note)
    .map((row) => `- ${row.figure}, ${row.metric}: ${row.note}`)
    .join('\n');
}
