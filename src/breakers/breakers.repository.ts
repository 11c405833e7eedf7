import type { DbOrTx, Tx } from '../db/client.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import {
  type BreakerEvaluation,
  type BreakerReservation,
  countingRates,
  evaluateBreakerRows,
} from './breaker.evaluate.ts';
import { countHits, deleteHits, insertHits } from './breaker.hits.ts';
import { blockedMessage } from './breaker.messages.ts';
import { lockBreaker, lockRows, readNotClosed, readRows, rowIdText, saveRow } from './breaker.rows.ts';
import {
  admit,
  type BreakerRow,
  type BreakerState,
  closeRow,
  effectiveState,
  rateKey,
  startTrialRow,
  type ToolKind,
} from './breaker.state.ts';

export type { BreakerBlock, BreakerEvaluation, BreakerReservation } from './breaker.evaluate.ts';
export { type BreakerTrip, recordExecutionOutcome } from './breaker.outcomes.ts';

/**
 * Checks one action against the agent's breakers, locking the rows involved (in the caller's
 * transaction, which must be READ COMMITTED), and saves a row this call trips. See `evaluateBreakerRows`.
 */
export async function evaluateBreakers({
  tx,
  charter,
  agent,
  tool,
  toolKind,
  environment,
  now,
}: {
  tx: Tx;
  charter: Charter;
  agent: string;
  tool: string;
  toolKind: ToolKind;
  environment: string;
  now: Date;
}): Promise<BreakerEvaluation> {
  const key = rateKey({ tool, environment });
  const rates = countingRates({ charter, tool, toolKind, environment });
  // Reads never count and never take a trial, so they need no lock: only an open breaker stops them.
  const rows =
    toolKind === 'read'
      ? await readNotClosed({ db: tx, agent })
      : await lockRows({
          tx,
          agent,
          ids: rates.map((s) => ({ breaker: s.name, key })),
          alsoNotClosed: true,
          now,
        });
  const hits = await countHits({
    tx,
    agent,
    windows: rates.map((spec) => ({ breaker: spec.name, key, since: new Date(now.getTime() - spec.window) })),
  });
  for (const spec of rates) {
    const id = rowIdText({ breaker: spec.name, key });
    if (!hits.has(id)) hits.set(id, 0);
  }
  const evaluation = evaluateBreakerRows({ charter, agent, tool, toolKind, environment, rows, hits, now });
  if (evaluation.tripped) await saveRow({ tx, row: evaluation.tripped });
  return evaluation;
}

/**
 * Records what an allowed action reserved, in the guard's transaction: one hit per counted row (a trial's
 * hit marks which action is the trial) and the half-open rows' trial in flight.
 */
export async function commitBreakerReservations({
  tx,
  reservations,
  proposalId,
  now,
}: {
  tx: Tx;
  reservations: BreakerReservation[];
  proposalId: string | null;
  now: Date;
}): Promise<{ hits: number; trials: number }> {
  let trials = 0;
  for (const agent of new Set(reservations.map((r) => r.agent))) {
    const list = reservations.filter((r) => r.agent === agent);
    await insertHits({ tx, agent, ids: list, proposalId, now });
    const rows = await lockRows({ tx, agent, ids: list.filter((r) => r.trial), now });
    for (const row of rows) await saveRow({ tx, row: startTrialRow({ row, now }) });
    trials += rows.length;
  }
  return { hits: reservations.length, trials };
}

/** A breaker row as `/agent status` shows it: `state` is the effective state at `now`. */
export type BreakerStatus = BreakerRow & { storedState: string; state: BreakerState };

/** Every breaker row (of one agent, or all), with its effective state. */
export async function listBreakerStates({
  db,
  agent,
  now,
}: {
  db: DbOrTx;
  agent?: string;
  now: Date;
}): Promise<BreakerStatus[]> {
  const rows = await readRows({ db, agent });
  return rows.map((row) => ({ ...row, storedState: row.state, state: effectiveState({ row, now }) }));
}

/** The agent's open breakers (cool-down not yet passed), for policy.decide's state. */
export async function openBreakersFor({
  db,
  agent,
  now,
}: {
  db: DbOrTx;
  agent: string;
  now: Date;
}): Promise<{ name: string; message: string }[]> {
  const rows = await readNotClosed({ db, agent });
  return rows.flatMap((row) => {
    const admission = admit({ row, toolKind: 'read', now });
    if (admission.pass) return [];
    return [{ name: row.breaker, message: blockedMessage({ ...row, reason: row.lastReason, admission }) }];
  });
}

/** Closes every key of one breaker of the agent and forgets its counts (an owner's action; the caller checks and audits). */
export async function resetBreaker({
  tx,
  agent,
  breaker,
  now,
}: {
  tx: Tx;
  agent: string;
  breaker: string;
  now: Date;
}): Promise<{ reset: { key: string; previousState: BreakerState }[] }> {
  const rows = await lockBreaker({ tx, agent, breaker });
  for (const row of rows) await saveRow({ tx, row: closeRow({ row, now }) });
  await deleteHits({ tx, agent, breaker });
  return { reset: rows.map((row) => ({ key: row.key, previousState: effectiveState({ row, now }) })) };
}
