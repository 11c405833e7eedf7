import type { BreakerSpec } from '../policy/charter.schemas.ts';
import type { breakerStates } from './breakers.table.ts';

/** One stored `breaker_states` row. */
export type BreakerRow = typeof breakerStates.$inferSelect;
export type BreakerState = 'closed' | 'open' | 'half_open';
export type ToolKind = 'read' | 'write';

/** The key of breakers that count the agent as a whole (consecutive failures, denied requests). */
export const AGENT_KEY = '*';

/** One breaker row's identity as a map key (breaker, key). */
export const rowIdText = (id: { breaker: string; key: string }) => `${id.breaker}\u0000${id.key}`;

/** The key a rate breaker counts one write under: each tool/environment pair separately. */
export function rateKey({ tool, environment }: { tool: string; environment: string }): string {
  return `${tool}@${environment}`;
}

/** Whether a rate breaker counts this write: its tool (or `*`) and its environment (or every one). */
export function rateBreakerCounts({
  spec,
  tool,
  environment,
}: {
  spec: Extract<BreakerSpec, { kind: 'rate' }>;
  tool: string;
  environment: string;
}): boolean {
  return (
    (spec.tool === '*' || spec.tool === tool) &&
    (spec.environment === undefined || spec.environment === environment)
  );
}

/** What a row means at `now`: no row is closed, and an open breaker whose cool-down has passed is half-open. */
export function effectiveState({ row, now }: { row: BreakerRow | null; now: Date }): BreakerState {
  if (!row || row.state === 'closed') return 'closed';
  if (row.state === 'half_open') return 'half_open';
  // Anything else, including a state we do not know, is open: fail closed.
  const until = row.coolDownUntil;
  return until !== null && until.getTime() <= now.getTime() ? 'half_open' : 'open';
}

export type Admission =
  | { pass: true; trial: boolean }
  | { pass: false; why: 'open' | 'trial_in_flight'; until: Date | null };

/**
 * Whether one action may pass this breaker: an open breaker stops everything; a half-open one lets reads
 * through and exactly one write, its trial; a closed one stops nothing.
 */
export function admit({
  row,
  toolKind,
  now,
}: {
  row: BreakerRow | null;
  toolKind: ToolKind;
  now: Date;
}): Admission {
  const state = effectiveState({ row, now });
  if (state === 'open') return { pass: false, why: 'open', until: row?.coolDownUntil ?? null };
  if (state === 'closed' || toolKind === 'read') return { pass: true, trial: false };
  if (row?.trialInFlight) return { pass: false, why: 'trial_in_flight', until: null };
  return { pass: true, trial: true };
}

/** Whether one more write would go past a rate breaker's limit. */
export function exceedsRate({ hitsInWindow, limit }: { hitsInWindow: number; limit: number }): boolean {
  return hitsInWindow + 1 > limit;
}

/** A closed row with nothing counted, as first stored. */
export function newRow({
  agent,
  breaker,
  key,
  now,
}: {
  agent: string;
  breaker: string;
  key: string;
  now: Date;
}): BreakerRow {
  return {
    agent,
    breaker,
    key,
    state: 'closed',
    consecutiveFailures: 0,
    trialInFlight: false,
    openedAt: null,
    coolDownUntil: null,
    tripCount: 0,
    lastReason: null,
    updatedAt: now,
  };
}

/** How long a trip keeps the breaker open: the charter's cool-down, or the last one if the charter dropped it. */
export function coolDownFor({ spec, row }: { spec: BreakerSpec | undefined; row: BreakerRow }): number {
  if (spec) return spec.cool_down;
  if (row.openedAt && row.coolDownUntil)
    return Math.max(0, row.coolDownUntil.getTime() - row.openedAt.getTime());
  return 0;
}

/** The row after a trip: open from `now` for the cool-down. */
export function tripRow({
  row,
  coolDownMs,
  reason,
  now,
}: {
  row: BreakerRow;
  coolDownMs: number;
  reason: string;
  now: Date;
}): BreakerRow {
  return {
    ...row,
    state: 'open',
    trialInFlight: false,
    openedAt: now,
    coolDownUntil: new Date(now.getTime() + coolDownMs),
    tripCount: row.tripCount + 1,
    lastReason: reason,
    updatedAt: now,
  };
}

/** The row once its one trial action has been let through. */
export function startTrialRow({ row, now }: { row: BreakerRow; now: Date }): BreakerRow {
  return { ...row, state: 'half_open', trialInFlight: true, updatedAt: now };
}

/** The row closed (trial succeeded, or an owner reset it): counting starts again from nothing. */
export function closeRow({ row, now }: { row: BreakerRow; now: Date }): BreakerRow {
  return {
    ...row,
    state: 'closed',
    consecutiveFailures: 0,
    trialInFlight: false,
    openedAt: null,
    coolDownUntil: null,
    updatedAt: now,
  };
}

export type OutcomeEvent = 'tripped' | 'closed' | null;

/**
 * The row after one executed action: a trial closes the breaker on success and re-opens it on failure;
 * a consecutive-failures breaker counts failures (a success resets the count) and trips at its threshold.
 */
export function afterOutcome({
  spec,
  row,
  ok,
  isTrial,
  failureReason,
  now,
}: {
  spec: BreakerSpec | undefined;
  row: BreakerRow;
  ok: boolean;
  isTrial: boolean;
  /** Says what failed, for the trip reason: e.g. `create_ticket in production`. */
  failureReason: string;
  now: Date;
}): { row: BreakerRow; event: OutcomeEvent } {
  const counts = spec?.kind === 'consecutive_failures';
  const failures = counts ? (ok ? 0 : row.consecutiveFailures + 1) : row.consecutiveFailures;
  const state = effectiveState({ row, now });
  if (isTrial && state === 'half_open' && row.trialInFlight) {
    if (ok) return { row: closeRow({ row, now }), event: 'closed' };
    const reason = `its trial action failed (${failureReason})`;
    const tripped = tripRow({ row, coolDownMs: coolDownFor({ spec, row }), reason, now });
    return { row: { ...tripped, consecutiveFailures: failures }, event: 'tripped' };
  }
  if (spec?.kind === 'consecutive_failures' && state === 'closed' && failures >= spec.threshold) {
    const reason = `${failures} consecutive tool failures (last: ${failureReason})`;
    const tripped = tripRow({ row, coolDownMs: spec.cool_down, reason, now });
    return { row: { ...tripped, consecutiveFailures: failures }, event: 'tripped' };
  }
  if (failures === row.consecutiveFailures) return { row, event: null };
  return { row: { ...row, consecutiveFailures: failures, updatedAt: now }, event: null };
}
