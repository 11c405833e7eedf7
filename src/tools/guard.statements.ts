import { countingRates } from '../breakers/breaker.evaluate.ts';
import { countHitsStatement, hitCountsFrom } from '../breakers/breaker.hits.ts';
import { breakerRowsFrom, lockedRowsPart, readNotClosedStatement } from '../breakers/breaker.rows.ts';
import { type BreakerRow, rateKey, type ToolKind } from '../breakers/breaker.state.ts';
import { type KillState, killStateFrom, killStateStatement } from '../breakers/kill-switch.repository.ts';
import { createBatch, type Part, rowsPart } from '../db/batch.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { lockRunStatement, type RunRow, runFrom } from '../runs/runs.repository.ts';

/** What the guard decides on, read in the deciding transaction. */
export type GuardState = {
  kill: KillState;
  /** The run, locked so its budget is counted right under concurrent calls; null without a run. */
  run: RunRow | null;
  /** The agent's breaker rows that matter to this call (locked for writes), and hits per rate window. */
  breakers: { rows: BreakerRow[]; hits: Map<string, number> } | null;
};

/**
 * The statements that read the guard's state in one batch: the run (locked), for a known tool with valid
 * arguments its breakers — for a write, the counting rows are created if missing and locked with every row
 * that is not closed, then the hits in each window are counted (after the lock, so every earlier committed
 * hit is seen); a read only looks for breakers that are not closed — and last the kill switch. Each
 * statement sees what was committed when it started, so the kill switch is read after every lock the batch
 * may wait for: a kill that held the run (it stops running runs) is seen once it has committed.
 */
export function guardStateReads({
  charter,
  tool,
  environment,
  runId,
  now,
}: {
  charter: Charter;
  /**
   * The tool being called, when it is known, its arguments are valid and the call is not denied whatever the
   * state (`deniedWhateverTheState`): breakers are checked then.
   */
  tool: { name: string; kind: ToolKind } | null;
  environment: string;
  runId: string | null;
  now: Date;
}): Part<GuardState> {
  const agent = charter.agent;
  const batch = createBatch();
  const run = runId ? batch.add(rowsPart('run', lockRunStatement({ id: runId }))) : null;
  const breakers = tool ? batch.add(breakerReads({ charter, agent, tool, environment, now })) : null;
  const kill = batch.add(rowsPart('kill', killStateStatement({ agent })));
  return {
    name: 'guard state',
    statements: batch.statements,
    read: (rows) => ({
      kill: killStateFrom(kill.read(rows)),
      run: run ? runFrom(run.read(rows)[0]) : null,
      breakers: breakers?.read(rows) ?? null,
    }),
  };
}

/**
 * A write's counting rows, created if missing and locked with every row that is not closed, then the hits
 * in each window counted after the lock; for a read, only the rows that are not closed.
 */
function breakerReads({
  charter,
  agent,
  tool,
  environment,
  now,
}: {
  charter: Charter;
  agent: string;
  tool: { name: string; kind: ToolKind };
  environment: string;
  now: Date;
}): Part<NonNullable<GuardState['breakers']>> {
  if (tool.kind === 'read') {
    return {
      name: 'breakers',
      statements: [readNotClosedStatement({ agent })],
      read: ([rows = []]) => ({ rows: breakerRowsFrom(rows), hits: new Map() }),
    };
  }
  const rates = countingRates({ charter, tool: tool.name, toolKind: tool.kind, environment });
  const key = rateKey({ tool: tool.name, environment });
  const ids = rates.map((spec) => ({ breaker: spec.name, key }));
  const windows = rates.map((spec) => ({ breaker: spec.name, key, since: sinceOf(spec, now) }));
  const batch = createBatch();
  const locked = batch.add(lockedRowsPart({ agent, ids, alsoNotClosed: true, now }));
  const count = countHitsStatement({ agent, windows });
  const hits = count ? batch.add(rowsPart('breakers', count)) : null;
  return {
    name: 'breakers',
    statements: batch.statements,
    read: (rows) => ({
      rows: locked.read(rows),
      hits: hitCountsFrom({ raw: hits?.read(rows) ?? [], windows }),
    }),
  };
}

const sinceOf = (spec: { window: number }, now: Date) => new Date(now.getTime() - spec.window);
