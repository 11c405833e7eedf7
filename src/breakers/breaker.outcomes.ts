import type { Tx } from '../db/client.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { type BreakerTrip, planExecutionOutcome } from './breaker.evaluate.ts';
import { deleteHits, rowsHitBy } from './breaker.hits.ts';
import { lockRows, saveRow } from './breaker.rows.ts';
import { AGENT_KEY } from './breaker.state.ts';

export type { BreakerTrip };

// Breakers updated after the fact: an executed action's outcome (a denied request: guard.writes.ts). Re-exported by
// breakers.repository.ts, which callers import.

/**
 * Updates the agent's breakers after an executed action: consecutive-failure counters (+1 on failure,
 * 0 on success, trip at the threshold), and a half-open breaker whose trial this was closes on success
 * and re-opens on failure. Pass `proposalId` so the trial is recognised exactly; without it any
 * outcome resolves a trial in flight.
 */
export async function recordExecutionOutcome({
  tx,
  charter,
  agent,
  tool,
  environment,
  proposalId,
  ok,
  now,
}: {
  tx: Tx;
  charter: Charter;
  agent: string;
  tool: string;
  environment: string;
  proposalId?: string | null;
  ok: boolean;
  now: Date;
}): Promise<{ tripped: BreakerTrip[]; closed: string[] }> {
  const rows = await lockRows({ tx, agent, ids: outcomeRowIds(charter), alsoTrials: true, now });
  const hitByThis = proposalId ? await rowsHitBy({ tx, agent, proposalId }) : null;
  const plan = planExecutionOutcome({ charter, rows, hitByThis, ok, tool, environment, now });
  for (const row of plan.saves) await saveRow({ tx, row });
  for (const { breaker, key } of plan.clearHits) await deleteHits({ tx, agent, breaker, keys: [key] });
  return { tripped: plan.tripped, closed: plan.closed };
}

/** The rows an executed action's outcome counts in: the agent's consecutive-failures breakers. */
export function outcomeRowIds(charter: Charter): { breaker: string; key: string }[] {
  return charter.breakers
    .filter((b) => b.kind === 'consecutive_failures')
    .map((b) => ({ breaker: b.name, key: AGENT_KEY }));
}
