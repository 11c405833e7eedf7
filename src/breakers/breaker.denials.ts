import { type DeniedSpec, pauseAgentOf } from '../policy/breaker-scope.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { formatDuration } from './breaker.messages.ts';
import { type BreakerRow, effectiveState, tripRow } from './breaker.state.ts';

// Denied-requests breakers, scoped to what misbehaved: a run whose requests keep being denied is stopped,
// and only runs stopped on several different incidents pause the whole agent. A planted incident can stop
// its own runs, never triage of another incident. Pure; guard.writes.ts reads and writes the rows.

export type { DeniedSpec };

const deniedSpecs = (charter: Pick<Charter, 'breakers'>): DeniedSpec[] =>
  charter.breakers.filter((b): b is DeniedSpec => b.kind === 'denied_requests');

/** What a stopped run counts as towards the agent-wide pause: its incident, or itself without one. */
export function stopScope({ runId, incidentId }: { runId: string; incidentId: string | null }): string {
  return incidentId ? `incident:${incidentId}` : `run:${runId}`;
}

/** The breaker that has stopped a run with `deniedInRun` denials (the lowest threshold reached), if any. */
export function runStoppedBy({
  charter,
  deniedInRun,
}: {
  charter: Pick<Charter, 'breakers'>;
  deniedInRun: number;
}): DeniedSpec | null {
  const reached = deniedSpecs(charter).filter((b) => deniedInRun >= b.threshold);
  return reached.sort((a, b) => a.threshold - b.threshold)[0] ?? null;
}

/** The breakers whose threshold the run's `deniedInRun`-th denial reaches now: each stops the run once. */
export function breakersStoppingRun({
  charter,
  deniedInRun,
}: {
  charter: Pick<Charter, 'breakers'>;
  deniedInRun: number;
}): DeniedSpec[] {
  return deniedSpecs(charter).filter((b) => b.threshold === deniedInRun);
}

/** A run a denied-requests breaker stopped: audited as a `breaker.tripped` of scope `run`, and alerted. */
export type RunStop = {
  breaker: string;
  runId: string;
  incidentId: string | null;
  deniedInRun: number;
  reason: string;
};

export function runStopOf({
  spec,
  runId,
  incidentId,
  deniedInRun,
}: {
  spec: DeniedSpec;
  runId: string;
  incidentId: string | null;
  deniedInRun: number;
}): RunStop {
  const on = incidentId ? ` on incident ${incidentId}` : '';
  return {
    breaker: spec.name,
    runId,
    incidentId,
    deniedInRun,
    reason: `${deniedInRun} denied requests in run ${runId}${on}`,
  };
}

/** What the guard tells every later call of a stopped run (as an open breaker's message). */
export function runStoppedMessage({ spec, runId }: { spec: DeniedSpec; runId: string }): string {
  return `it stopped run ${runId} after ${spec.threshold} denied requests; the agent goes on helping with other incidents, and a person can start a new run`;
}

/**
 * The agent-wide row tripped when runs on enough different incidents were stopped within the window:
 * `scopes` are the distinct stop scopes counted there, this run's included. Null when too few, or when the
 * row is not closed (already paused, or on trial). The reason names the incidents and this run.
 */
export function agentPauseRow({
  spec,
  row,
  scopes,
  runId,
  now,
}: {
  spec: DeniedSpec;
  row: BreakerRow;
  scopes: readonly string[];
  runId: string;
  now: Date;
}): BreakerRow | null {
  const pause = pauseAgentOf(spec);
  if (scopes.length < pause.incidents || effectiveState({ row, now }) !== 'closed') return null;
  const named = [...scopes]
    .sort()
    .slice(0, 5)
    .map((s) => s.replace(/^incident:/, ''));
  const more = scopes.length > named.length ? ` and ${scopes.length - named.length} more` : '';
  const reason =
    `runs stopped for denied requests on ${scopes.length} incidents within ` +
    `${formatDuration(pause.within)} (${named.join(', ')}${more}; last: run ${runId})`;
  return tripRow({ row, coolDownMs: spec.cool_down, reason, now });
}
