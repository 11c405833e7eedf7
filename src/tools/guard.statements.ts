import { countingRates } from '../breakers/breaker.evaluate.ts';
import { countHitsStatement, hitCountsFrom } from '../breakers/breaker.hits.ts';
import { breakerRowsFrom, lockRowsStatements, readNotClosedStatement } from '../breakers/breaker.rows.ts';
import { type BreakerRow, rateKey, type ToolKind } from '../breakers/breaker.state.ts';
import { type KillState, killStateFrom, killStateStatement } from '../breakers/kill-switch.repository.ts';
import type { RawRow } from '../db/pipeline.ts';
import type { Statement } from '../db/prepared.ts';
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
  /** The tool being called, when it is known and its arguments are valid (breakers are checked then). */
  tool: { name: string; kind: ToolKind } | null;
  environment: string;
  runId: string | null;
  now: Date;
}): { statements: Statement[]; read: (results: RawRow[][]) => GuardState } {
  const agent = charter.agent;
  const statements: Statement[] = [];
  const runAt = runId ? statements.push(lockRunStatement({ id: runId })) - 1 : -1;
  let rowsAt = -1;
  let hitsAt = -1;
  const windows: { breaker: string; key: string; since: Date }[] = [];
  if (tool) {
    const rates = countingRates({ charter, tool: tool.name, toolKind: tool.kind, environment });
    const key = rateKey({ tool: tool.name, environment });
    if (tool.kind === 'read') {
      rowsAt = statements.push(readNotClosedStatement({ agent })) - 1;
    } else {
      const ids = rates.map((spec) => ({ breaker: spec.name, key }));
      statements.push(...lockRowsStatements({ agent, ids, alsoNotClosed: true, now }));
      rowsAt = statements.length - 1;
      windows.push(...rates.map((spec) => ({ breaker: spec.name, key, since: sinceOf(spec, now) })));
      const count = countHitsStatement({ agent, windows });
      if (count) hitsAt = statements.push(count) - 1;
    }
  }
  const killAt = statements.push(killStateStatement({ agent })) - 1;
  return {
    statements,
    read: (results) => ({
      kill: killStateFrom(results[killAt] ?? []),
      run: runAt >= 0 ? runFrom(results[runAt]?.[0]) : null,
      breakers:
        rowsAt >= 0
          ? {
              rows: breakerRowsFrom(results[rowsAt] ?? []),
              hits: hitCountsFrom({ raw: hitsAt >= 0 ? (results[hitsAt] ?? []) : [], windows }),
            }
          : null,
    }),
  };
}

const sinceOf = (spec: { window: number }, now: Date) => new Date(now.getTime() - spec.window);
