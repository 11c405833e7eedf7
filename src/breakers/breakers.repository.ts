import type { DbOrTx, Tx } from '../db/client.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { blockedMessage, rateTripReason } from './breaker.messages.ts';
import { type BreakerTrip, tripOf } from './breaker.outcomes.ts';
import {
  countHits,
  deleteHits,
  insertHits,
  lockBreaker,
  lockRows,
  readNotClosed,
  readRows,
  rowIdText,
  saveRow,
} from './breaker.rows.ts';
import {
  admit,
  type BreakerRow,
  type BreakerState,
  closeRow,
  effectiveState,
  exceedsRate,
  rateBreakerCounts,
  rateKey,
  startTrialRow,
  type ToolKind,
  tripRow,
} from './breaker.state.ts';

export { type BreakerTrip, recordDeniedRequest, recordExecutionOutcome } from './breaker.outcomes.ts';

/** What a guard call may add once its decision is allow: a counted hit, or a half-open breaker's trial. */
export type BreakerReservation = { agent: string; breaker: string; key: string; trial: boolean };

export type BreakerBlock = {
  breaker: string;
  key: string;
  message: string;
  until: Date | null;
  justTripped: boolean;
  /** The trip, when this very call tripped the breaker. */
  trip: BreakerTrip | null;
};

export type BreakerEvaluation = { blocked: BreakerBlock | null; reservations: BreakerReservation[] };

/**
 * Checks one action against the agent's breakers, locking the rows involved (in the caller's
 * transaction, which must be READ COMMITTED). Blocked when any breaker of the agent is open, when a
 * half-open breaker's trial is still running (writes only), or when this write would go past a rate
 * limit (the breaker trips now). Otherwise returns the reservations to commit if the action is allowed.
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
  const rates =
    toolKind === 'write'
      ? charter.breakers.flatMap((spec) =>
          spec.kind === 'rate' && rateBreakerCounts({ spec, tool, environment }) ? [spec] : [],
        )
      : [];
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

  const reservations: BreakerReservation[] = [];
  let trialBlock: BreakerBlock | null = null;
  for (const row of rows) {
    const admission = admit({ row, toolKind, now });
    if (admission.pass) {
      if (admission.trial) reservations.push({ agent, breaker: row.breaker, key: row.key, trial: true });
      continue;
    }
    const message = blockedMessage({ breaker: row.breaker, key: row.key, reason: row.lastReason, admission });
    const block = {
      breaker: row.breaker,
      key: row.key,
      message,
      until: admission.until,
      justTripped: false,
      trip: null,
    };
    if (admission.why === 'open') return { blocked: block, reservations: [] };
    trialBlock ??= block;
  }
  if (trialBlock) return { blocked: trialBlock, reservations: [] };

  const closed = rates.filter((spec) => {
    const row = rows.find((r) => r.breaker === spec.name && r.key === key);
    return effectiveState({ row: row ?? null, now }) === 'closed';
  });
  const counts = await countHits({
    tx,
    agent,
    windows: closed.map((spec) => ({
      breaker: spec.name,
      key,
      since: new Date(now.getTime() - spec.window),
    })),
  });
  for (const spec of closed) {
    const hitsInWindow = counts.get(rowIdText({ breaker: spec.name, key })) ?? 0;
    if (exceedsRate({ hitsInWindow, limit: spec.limit })) {
      const row = rows.find((r) => r.breaker === spec.name && r.key === key)!;
      const reason = rateTripReason({ spec, tool, environment, count: hitsInWindow + 1 });
      const tripped = tripRow({ row, coolDownMs: spec.cool_down, reason, now });
      await saveRow({ tx, row: tripped });
      const admission = { pass: false as const, why: 'open' as const, until: tripped.coolDownUntil };
      const message = blockedMessage({ breaker: spec.name, key, reason, admission });
      const trip = tripOf({ row: tripped, spec });
      return {
        blocked: { breaker: spec.name, key, message, until: tripped.coolDownUntil, justTripped: true, trip },
        reservations: [],
      };
    }
    reservations.push({ agent, breaker: spec.name, key, trial: false });
  }
  return { blocked: null, reservations };
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
