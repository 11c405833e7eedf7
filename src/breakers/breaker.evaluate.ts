import type { BreakerSpec, Charter } from '../policy/charter.schemas.ts';
import { blockedMessage, rateTripReason } from './breaker.messages.ts';
import {
  admit,
  afterOutcome,
  type BreakerRow,
  effectiveState,
  exceedsRate,
  rateBreakerCounts,
  rateKey,
  rowIdText,
  type ToolKind,
  tripRow,
} from './breaker.state.ts';

/** A breaker that has just tripped; the caller audits it and alerts the channel and the owners. */
export type BreakerTrip = {
  agent: string;
  breaker: string;
  key: string;
  /** null when the breaker is no longer in the charter (its row still pauses the agent until it closes). */
  kind: BreakerSpec['kind'] | null;
  until: Date;
  reason: string;
};

/** The trip a just-tripped row stands for. */
export function tripOf({ row, spec }: { row: BreakerRow; spec: BreakerSpec | undefined }): BreakerTrip {
  return {
    agent: row.agent,
    breaker: row.breaker,
    key: row.key,
    kind: spec?.kind ?? null,
    until: row.coolDownUntil!,
    reason: row.lastReason ?? 'tripped',
  };
}

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

export type BreakerEvaluation = {
  blocked: BreakerBlock | null;
  reservations: BreakerReservation[];
  /** A row this call tripped, to be saved in the same transaction. */
  tripped: BreakerRow | null;
};

type RateSpec = Extract<BreakerSpec, { kind: 'rate' }>;

/** The charter's rate breakers that count this action (writes only; reads never count). */
export function countingRates({
  charter,
  tool,
  toolKind,
  environment,
}: {
  charter: Charter;
  tool: string;
  toolKind: ToolKind;
  environment: string;
}): RateSpec[] {
  if (toolKind !== 'write') return [];
  return charter.breakers.flatMap((spec) =>
    spec.kind === 'rate' && rateBreakerCounts({ spec, tool, environment }) ? [spec] : [],
  );
}

/**
 * Decides one action against the agent's breaker rows (read under lock by the caller for writes) and the
 * hits counted in each rate breaker's window: blocked when any breaker of the agent is open, when a
 * half-open breaker's trial is still running (writes only), or when this write would go past a rate limit
 * (the breaker trips now). Otherwise the reservations to commit if the action is allowed. `hits` must
 * hold a count (by `rowIdText`) for every counting rate breaker whose row is closed.
 */
export function evaluateBreakerRows({
  charter,
  agent,
  tool,
  toolKind,
  environment,
  rows,
  hits,
  now,
}: {
  charter: Charter;
  agent: string;
  tool: string;
  toolKind: ToolKind;
  environment: string;
  rows: BreakerRow[];
  hits: Map<string, number>;
  now: Date;
}): BreakerEvaluation {
  const key = rateKey({ tool, environment });
  const rates = countingRates({ charter, tool, toolKind, environment });
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
    if (admission.why === 'open') return { blocked: block, reservations: [], tripped: null };
    trialBlock ??= block;
  }
  if (trialBlock) return { blocked: trialBlock, reservations: [], tripped: null };

  for (const spec of rates) {
    const row = rows.find((r) => r.breaker === spec.name && r.key === key) ?? null;
    if (effectiveState({ row, now }) !== 'closed') continue;
    const hitsInWindow = hits.get(rowIdText({ breaker: spec.name, key }));
    if (hitsInWindow === undefined) throw new Error(`the hits of breaker ${spec.name} were not counted`);
    if (exceedsRate({ hitsInWindow, limit: spec.limit })) {
      if (!row) throw new Error(`breaker ${spec.name} has no row to trip`);
      const reason = rateTripReason({ spec, tool, environment, count: hitsInWindow + 1 });
      const tripped = tripRow({ row, coolDownMs: spec.cool_down, reason, now });
      const admission = { pass: false as const, why: 'open' as const, until: tripped.coolDownUntil };
      const message = blockedMessage({ breaker: spec.name, key, reason, admission });
      const trip = tripOf({ row: tripped, spec });
      return {
        blocked: { breaker: spec.name, key, message, until: tripped.coolDownUntil, justTripped: true, trip },
        reservations: [],
        tripped,
      };
    }
    reservations.push({ agent, breaker: spec.name, key, trial: false });
  }
  return { blocked: null, reservations, tripped: null };
}

/** What an executed action changes in the agent's breakers (see `planExecutionOutcome`). */
export type OutcomePlan = {
  /** Rows whose state changed, to be saved. */
  saves: BreakerRow[];
  /** Rows whose hits are forgotten (their breaker closed: counting starts again). */
  clearHits: { breaker: string; key: string }[];
  tripped: BreakerTrip[];
  /** The names of the breakers that closed. */
  closed: string[];
};

/**
 * Updates the agent's breakers after an executed action (pure): consecutive-failure counters (+1 on
 * failure, 0 on success, trip at the threshold), and a half-open breaker whose trial this was closes on
 * success and re-opens on failure. `rows` are the counter rows and every row with a trial in flight,
 * locked by the caller; `hitByThis` the rows this action's hits name (null: any trial counts).
 */
export function planExecutionOutcome({
  charter,
  rows,
  hitByThis,
  ok,
  refused = false,
  tool,
  environment,
  now,
}: {
  charter: Charter;
  rows: BreakerRow[];
  hitByThis: Set<string> | null;
  ok: boolean;
  /**
   * The tool never ran: Warden stopped it (the last check refused, the kill switch aborted it, its
   * credential was revoked). Not a failure of the tool: no counter moves, and a trial it held is free again.
   */
  refused?: boolean;
  tool: string;
  environment: string;
  now: Date;
}): OutcomePlan {
  const specs = new Map(charter.breakers.map((b) => [b.name, b]));
  const plan: OutcomePlan = { saves: [], clearHits: [], tripped: [], closed: [] };
  for (const row of rows) {
    const spec = specs.get(row.breaker);
    const isTrial = row.trialInFlight && (hitByThis === null || hitByThis.has(rowIdText(row)));
    if (refused) {
      if (isTrial) plan.saves.push({ ...row, trialInFlight: false, updatedAt: now });
      continue;
    }
    const next = afterOutcome({ spec, row, ok, isTrial, failureReason: `${tool} in ${environment}`, now });
    if (next.row !== row) plan.saves.push(next.row);
    if (next.event === 'tripped') plan.tripped.push(tripOf({ row: next.row, spec }));
    if (next.event === 'closed') {
      plan.clearHits.push({ breaker: row.breaker, key: row.key });
      if (!plan.closed.includes(row.breaker)) plan.closed.push(row.breaker);
    }
  }
  return plan;
}
