import type { BreakerState } from '../breakers/breaker.state.ts';

/**
 * One definition per figure Warden shows, shared by `/agent status`, `/agent report`, the App Home, the
 * console's side panel and `/metrics`. Pure: the repositories read rows, these functions say what counts.
 */

// --- Circuit breakers --------------------------------------------------------------------------------

/**
 * A circuit breaker is one entry in a loaded charter's `breakers:` list (agent and name). Warden keeps a
 * row per breaker and key once the breaker has counted something (a rate breaker counts each
 * tool@environment apart, so one breaker can have several rows): those rows are "tracked". A breaker's
 * state is the worst of its rows (open, then half-open, then closed); one with no row is closed. A
 * tracked row whose breaker is no longer in a charter is still listed, so nothing open is hidden.
 */
export type BreakerFigure = {
  agent: string;
  breaker: string;
  state: BreakerState;
  /** The keys not closed (e.g. `create_ticket@production`, `*` for the agent as a whole). */
  keysNotClosed: string[];
  /** The latest cool-down among its open keys. */
  coolDownUntil: Date | null;
  lastReason: string | null;
  tripCount: number;
  /** Tracked rows (keys) it has. */
  trackedKeys: number;
  configured: boolean;
};

/** A tracked row as `listBreakerStates` gives it (effective state at now). */
export type TrackedBreakerRow = {
  agent: string;
  breaker: string;
  key: string;
  state: BreakerState;
  coolDownUntil: Date | null;
  lastReason: string | null;
  tripCount: number;
};

const SEVERITY: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Every breaker: the charters' ones and any other tracked one, sorted by agent then name. */
export function summarizeBreakers({
  charters,
  rows,
}: {
  charters: readonly { agent: string; breakers: readonly { name: string }[] }[];
  rows: readonly TrackedBreakerRow[];
}): BreakerFigure[] {
  const byId = new Map<string, BreakerFigure>();
  const entry = (agent: string, breaker: string, configured: boolean) => {
    const id = `${agent}\u0000${breaker}`;
    let figure = byId.get(id);
    if (!figure) {
      figure = {
        agent,
        breaker,
        state: 'closed',
        keysNotClosed: [],
        coolDownUntil: null,
        lastReason: null,
        tripCount: 0,
        trackedKeys: 0,
        configured,
      };
      byId.set(id, figure);
    }
    return figure;
  };
  for (const charter of charters) for (const spec of charter.breakers) entry(charter.agent, spec.name, true);
  for (const row of rows) {
    const figure = entry(row.agent, row.breaker, false);
    figure.trackedKeys += 1;
    figure.tripCount += row.tripCount;
    if (row.state === 'closed') continue;
    figure.keysNotClosed.push(row.key);
    if (SEVERITY[row.state] > SEVERITY[figure.state]) {
      figure.state = row.state;
      figure.lastReason = row.lastReason ?? figure.lastReason;
    }
    if (row.coolDownUntil && (!figure.coolDownUntil || row.coolDownUntil > figure.coolDownUntil))
      figure.coolDownUntil = row.coolDownUntil;
  }
  return [...byId.values()].sort((a, b) =>
    `${a.agent}/${a.breaker}`.localeCompare(`${b.agent}/${b.breaker}`),
  );
}

/** `all 5 closed`, `1 of 5 not closed`: how status and the App Home head their breakers. */
export function breakersHeadline(breakers: readonly Pick<BreakerFigure, 'state'>[]): string {
  const notClosed = breakers.filter((b) => b.state !== 'closed').length;
  if (breakers.length === 0) return 'none in the charters';
  if (notClosed === 0)
    return breakers.length === 1 ? 'the 1 breaker is closed' : `all ${breakers.length} closed`;
  return `${notClosed} of ${breakers.length} not closed`;
}

// --- Time to decide -----------------------------------------------------------------------------------

/**
 * Time to decide: from a proposal's creation to the first human decision on it (the first Approve or
 * Reject, even when more approvals were needed). A proposal counts in a window when that first decision
 * falls in it. Shown as the median over the proposals, with how many.
 */
export type TimeToDecide = { medianSeconds: number | null; proposals: number };

/** The median of some numbers; null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The figure from each proposal's seconds to its first human decision. */
export function timeToDecide(seconds: readonly number[]): TimeToDecide {
  return { medianSeconds: median(seconds), proposals: seconds.length };
}

/** `median 1 min 30 s over 2 proposals`, or `no decisions`: the same words in status, App Home and report. */
export function timeToDecideText(figure: TimeToDecide): string {
  if (figure.medianSeconds === null) return 'no decisions';
  const n = figure.proposals;
  return `median ${formatDuration(figure.medianSeconds)} over ${n} proposal${n === 1 ? '' : 's'}`;
}

/** `42 s`, `4 min 10 s`, `2 h 5 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return s % 60 === 0 ? `${minutes} min` : `${minutes} min ${s % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

// --- Approvals ----------------------------------------------------------------------------------------

/**
 * Approvals count proposals: `approved` is the proposals whose approval rule was satisfied (the last
 * needed Approve), `rejected` the proposals a person rejected, each once, when that happened in the
 * window. Clicks (each person's Approve or Reject) are counted apart and never called "approved".
 */
export type ApprovalFigures = {
  approved: number;
  rejected: number;
  expired: number;
  clicks: { approve: number; reject: number };
};

// --- Tool calls ---------------------------------------------------------------------------------------

/**
 * A tool call ran when its execution recorded an outcome (succeeded, failed or outcome unknown);
 * `refused` ones were stopped when they were about to run. Requests the guard decided but that did not
 * run (blocked, waiting for approval, rejected) are not tool calls; the run's budget counts requests,
 * shown apart as such.
 */
export type ToolCallFigures = {
  succeeded: number;
  failed: number;
  outcomeUnknown: number;
  refused: number;
};

/** Tool calls that ran. */
export function toolCallsRan(calls: ToolCallFigures): number {
  return calls.succeeded + calls.failed + calls.outcomeUnknown;
}

/** `6 ran`, `5 ran, 2 refused`: the same words in the run summary, status and the App Home. */
export function toolCallsText(calls: ToolCallFigures): string {
  const ran = `${toolCallsRan(calls).toLocaleString('en-US')} ran`;
  return calls.refused > 0 ? `${ran}, ${calls.refused.toLocaleString('en-US')} refused` : ran;
}

/** No tool calls. */
export const NO_TOOL_CALLS: ToolCallFigures = { succeeded: 0, failed: 0, outcomeUnknown: 0, refused: 0 };

/** The audit actions that end a tool call, and the figure each adds to. */
export const TOOL_CALL_ACTIONS: Record<string, keyof ToolCallFigures> = {
  'execution.succeeded': 'succeeded',
  'execution.failed': 'failed',
  'execution.outcome_unknown': 'outcomeUnknown',
  'execution.refused': 'refused',
};
