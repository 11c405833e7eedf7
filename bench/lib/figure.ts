import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dropAllOpen } from './database.ts';
import { formatNotes, formatTable } from './table.ts';

export type Unit = 'ms' | 's' | '/s' | 'MB';

/** One line of the results: ours beside the baseline measured in the same run, and the target. */
export type FigureRow = {
  figure: string;
  metric: string;
  unit: Unit;
  ours: number | null;
  baseline: number | null;
  baselineLabel: string;
  /** ours / baseline. */
  ratio: number | null;
  target: string;
  /** null: informational, no target applies. */
  pass: boolean | null;
  note?: string;
  /** 1-minute load average when the row was measured (other work on the machine shows here). */
  load1: number;
};

export type FigureContext = {
  report: (row: Omit<FigureRow, 'figure' | 'load1'>) => void;
  /** `performance.now()` time by which the figure must have finished measuring. */
  deadline: number;
  remainingMs: () => number;
  log: (message: string) => void;
};

/**
 * Runs one figure under its own time bound: rows are written to `BENCH_RESULT_FILE` as they come (so a
 * timed-out figure still leaves what it measured), and every bench database is dropped on any exit path.
 */
export async function runFigure({
  figure,
  budgetMs,
  main,
}: {
  figure: string;
  budgetMs: number;
  main: (context: FigureContext) => Promise<void>;
}): Promise<void> {
  const budget = Number(process.env.BENCH_BUDGET_MS ?? budgetMs);
  const started = performance.now();
  const rows: FigureRow[] = [];
  const file = process.env.BENCH_RESULT_FILE;
  const flush = () => {
    if (file) writeFileSync(file, JSON.stringify(rows, null, 2));
  };
  const log = (message: string) => process.stderr.write(`[${figure}] ${message}\n`);
  let finished = false;
  const finish = async (code: number) => {
    if (finished) return;
    finished = true;
    flush();
    await dropAllOpen();
    if (!file && rows.length > 0) process.stdout.write(`${formatTable(rows)}\n${formatNotes(rows)}\n`);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`stopped by ${signal}; dropping bench databases`);
      void finish(130);
    });
  }
  // The figure's own time bound: past it, report the miss and stop (the runner kills it a little later).
  const bound = setTimeout(() => {
    log(`time bound of ${Math.round(budget / 1000)} s reached`);
    rows.push(timedOutRow({ figure, budget }));
    void finish(2);
  }, budget);
  bound.unref();
  const context: FigureContext = {
    report: (row) => {
      rows.push({ figure, load1: Number(loadavg()[0]!.toFixed(2)), ...row });
      flush();
    },
    deadline: started + budget * 0.8,
    remainingMs: () => started + budget * 0.8 - performance.now(),
    log,
  };
  try {
    await main(context);
    await finish(0);
  } catch (error) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    rows.push({
      ...timedOutRow({ figure, budget }),
      metric: 'run',
      note: `failed: ${String(error)}`.slice(0, 300),
    });
    await finish(1);
  }
}

function timedOutRow({ figure, budget }: { figure: string; budget: number }): FigureRow {
  return {
    figure,
    metric: 'finished within its time bound',
    unit: 's',
    ours: null,
    baseline: null,
    baselineLabel: '',
    ratio: null,
    target: `≤ ${Math.round(budget / 1000)} s`,
    pass: false,
    note: 'did not finish within its time bound',
    load1: Number(loadavg()[0]!.toFixed(2)),
  };
}
