import type { RunRow } from '../runs/runs.repository.ts';

/** Runs remembered at once; past it the one seen longest ago is forgotten. */
const MAX_RUNS = 1_000;

/**
 * Each run's row as this process last saw it (after the guard's own decision in it, or the runner's count
 * of a planner step's tokens). Only a hint: a call in a run decided on it is recorded by a statement that
 * checks the counters it read are still the run's (`insertDecisionUnlessStoppedPart` with `run`), and
 * decided again on the state read when they are not. Nothing depends on it for correctness.
 */
export function createRunHints({ max = MAX_RUNS }: { max?: number } = {}) {
  const rows = new Map<string, RunRow>();
  return {
    get: (id: string): RunRow | null => rows.get(id) ?? null,
    note: (row: RunRow | null): void => {
      if (!row) return;
      rows.delete(row.id);
      rows.set(row.id, row);
      if (rows.size > max) rows.delete(rows.keys().next().value as string);
    },
    forget: (id: string): void => {
      rows.delete(id);
    },
  };
}

export type RunHints = ReturnType<typeof createRunHints>;
