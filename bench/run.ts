/**
 * `npm run bench`: runs every figure of DESIGN §6 in its own process under its own time bound, prints
 * ours beside the baseline measured in the same run, and writes bench/results.json.
 * `npm run bench -- guard audit` runs only the figures whose file name contains one of the words.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, isBuilt } from '../scripts/build.mjs';
import { CREATED_MARKER, dropDatabaseByName } from './lib/database.ts';
import type { FigureRow } from './lib/figure.ts';
import { repoRoot } from './lib/process.ts';
import { formatNotes, formatTable } from './lib/table.ts';

type Figure = { file: string; figure: string; budgetMs: number };

/**
 * Run order: the figures that bulk-load history (sync at scale, then the 1M-event audit figure) last, so
 * their aftermath (checkpoints) does not skew the others; the audit figure, the heaviest, at the very end.
 */
const FIGURES: Figure[] = [
  { file: 'ack-latency.ts', figure: '1. ack latency', budgetMs: 240_000 },
  { file: 'guard-throughput.ts', figure: '2. guard throughput', budgetMs: 120_000 },
  { file: 'approval-round-trip.ts', figure: '3. approval round trip', budgetMs: 60_000 },
  { file: 'kill-propagation.ts', figure: '4. kill propagation', budgetMs: 40_000 },
  { file: 'footprint.ts', figure: '6. footprint', budgetMs: 90_000 },
  { file: 'sync-at-scale.ts', figure: '7. slack sync at scale', budgetMs: 60_000 },
  { file: 'audit-at-scale.ts', figure: '5. audit at scale', budgetMs: 210_000 },
];
/** After its own bound, a figure gets this long to clean up before it is terminated, then killed. */
const GRACE_MS = 10_000;

async function runOne({ figure, dir }: { figure: Figure; dir: string }): Promise<FigureRow[]> {
  const resultFile = join(dir, figure.file.replace(/\.ts$/, '.json'));
  const created = new Set<string>();
  const started = performance.now();
  process.stderr.write(`\n== ${figure.figure} (bound ${figure.budgetMs / 1000} s)\n`);
  // BENCH_CPU_PROF=<dir>: the figure's own process writes a CPU profile too (as the servers it spawns do).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join('bench', figure.file)], {
    cwd: repoRoot,
    env: { ...process.env, BENCH_RESULT_FILE: resultFile, BENCH_BUDGET_MS: String(figure.budgetMs) },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  child.stderr!.setEncoding('utf8');
  let partial = '';
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(CREATED_MARKER)) created.add(line.slice(CREATED_MARKER.length).trim());
      else process.stderr.write(`${line}\n`);
    }
  });
  const terminate = setTimeout(() => child.kill('SIGTERM'), figure.budgetMs + GRACE_MS);
  const kill = setTimeout(() => child.kill('SIGKILL'), figure.budgetMs + 2 * GRACE_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(terminate);
  clearTimeout(kill);
  // Whatever the figure left behind (killed before its own cleanup) is dropped here.
  for (const name of created) await dropDatabaseByName({ name }).catch(() => {});
  let rows: FigureRow[] = [];
  try {
    rows = JSON.parse(readFileSync(resultFile, 'utf8')) as FigureRow[];
  } catch {
    rows = [];
  }
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(
    `== ${figure.figure}: ${rows.length} row(s) in ${seconds.toFixed(0)} s (exit ${code})\n`,
  );
  if (rows.length === 0) {
    rows.push({
      figure: figure.figure,
      metric: 'run',
      unit: 's',
      ours: null,
      baseline: null,
      baselineLabel: '',
      ratio: null,
      target: `finishes within ${figure.budgetMs / 1000} s`,
      pass: false,
      note: `the figure produced no result (exit ${code})`,
      load1: Number(loadavg()[0]!.toFixed(2)),
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const words = process.argv.slice(2);
  const selected = FIGURES.filter((f) => words.length === 0 || words.some((w) => f.file.includes(w)));
  // Warden runs built, as `npm start` runs it: built before any figure times a start (see lib/process.ts).
  if (!isBuilt() && !build()) throw new Error('the bench runs Warden built: install TypeScript (npm ci)');
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  const started = performance.now();
  const loadBefore = Number(loadavg()[0]!.toFixed(2));
  const rows: FigureRow[] = [];
  try {
    for (const figure of selected) rows.push(...(await runOne({ figure, dir })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rows.sort((a, b) => a.figure.localeCompare(b.figure, 'en', { numeric: true }));
  const seconds = (performance.now() - started) / 1000;
  const loadAfter = Number(loadavg()[0]!.toFixed(2));
  const misses = rows.filter((r) => r.pass === false);
  writeFileSync(
    join(repoRoot, 'bench', 'results.json'),
    `${JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        command: `npm run bench${words.length > 0 ? ` -- ${words.join(' ')}` : ''}`,
        node: process.version,
        cpus: cpus().length,
        // Plain numbers, no short arrays: the file is then already in Biome's format (it lies under bench/).
        loadAverage1m: { before: loadBefore, after: loadAfter },
        seconds: Math.round(seconds),
        rows,
      },
      null,
      2,
    )}\n`,
  );
  const out = [
    '',
    formatTable(rows),
    '',
    formatNotes(rows),
    '',
    `${rows.length} rows, ${misses.length} miss(es), in ${seconds.toFixed(0)} s on ${cpus().length} CPUs, Node ${process.version}; ` +
      `load average ${loadBefore} before, ${loadAfter} after${Math.max(loadBefore, loadAfter) > cpus().length ? ' (above the CPU count: other work was competing, so the numbers are noisy)' : ''}.`,
    'Written to bench/results.json.',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
