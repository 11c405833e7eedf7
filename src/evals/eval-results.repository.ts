import { and, type Column, desc, eq, isNull, type SQL } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { evalResults } from './eval-results.table.ts';

export type EvalResultRow = typeof evalResults.$inferSelect;
export type NewEvalResult = typeof evalResults.$inferInsert;

/** The versions evidence is recorded on and looked up by: a run's planner, model and prompt fingerprint. */
export type EvidenceVersions = { planner: string; model: string | null; prompt: string | null };

/** Adds recorded eval results (in the caller's transaction, with its audit event). */
export async function insertEvalResults({ tx, rows }: { tx: Tx; rows: NewEvalResult[] }): Promise<void> {
  if (rows.length > 0) await tx.insert(evalResults).values(rows);
}

/** How many results are read for one agent on one set of versions; the newest per environment counts. */
const LOOKBACK = 200;

/**
 * The latest recorded result per environment for `agent` on exactly these versions (a null model or
 * prompt matches only a null one). Results on other versions are not evidence for these.
 */
export async function latestEvalResults({
  db,
  agent,
  versions,
}: {
  db: DbOrTx;
  agent: string;
  versions: EvidenceVersions;
}): Promise<Map<string, EvalResultRow>> {
  const same = (column: Column, value: string | null): SQL =>
    value === null ? isNull(column) : eq(column, value);
  const rows = await db
    .select()
    .from(evalResults)
    .where(
      and(
        eq(evalResults.agent, agent),
        eq(evalResults.planner, versions.planner),
        same(evalResults.model, versions.model),
        same(evalResults.prompt, versions.prompt),
      ),
    )
    .orderBy(desc(evalResults.recordedAt), desc(evalResults.id))
    .limit(LOOKBACK);
  const latest = new Map<string, EvalResultRow>();
  for (const row of rows) if (!latest.has(row.environment)) latest.set(row.environment, row);
  return latest;
}
