import type { Observation } from './planner.types.ts';
import type { RunOutcome, RunProposal } from './runner.types.ts';

/** What a run summary is built from. */
export type RunSummaryInput = {
  agent: string;
  incidentId: string;
  environment: string | null;
  state: RunOutcome['state'];
  error: string | null;
  plannerName: string;
  /** The planner's own account; model prose when the planner is a model, so it is labelled as such. */
  plannerSummary: string | null;
  observations: readonly Observation[];
  proposals: readonly Pick<
    RunProposal,
    | 'tool'
    | 'args'
    | 'environment'
    | 'decision'
    | 'reasonCode'
    | 'message'
    | 'approvalsRequired'
    | 'approvalGroups'
    | 'execution'
  >[];
  skipped: number;
  dropped: number;
};

const MAX_NOTES = 1_500;

/**
 * The run summary people read in the audit trail and in Slack: how the run ended, what was checked, what
 * was proposed and what the guard decided for each. Pure; decisions come from the structured records.
 */
export function buildRunSummary(input: RunSummaryInput): string {
  const lines = [headline(input)];
  if (input.observations.length > 0) {
    lines.push('', 'Checked:');
    for (const o of input.observations) lines.push(`• ${describeObservation(o)}`);
  }
  lines.push('');
  if (input.proposals.length === 0) {
    lines.push(input.state === 'completed' ? 'Nothing was proposed.' : 'No action was proposed.');
  } else {
    lines.push('Proposed:');
    for (const p of input.proposals) lines.push(`• ${describeAction(p)} — ${describeDecision(p)}`);
  }
  const flagged = input.observations.filter((o) => o.suspectedInjection);
  if (flagged.length > 0) lines.push('', injectionWarning({ flagged, proposals: input.proposals.length }));
  const leftOut = [
    input.skipped > 0 ? `${input.skipped} unreadable or refused item(s) from the planner were skipped` : null,
    input.dropped > 0 ? `${input.dropped} proposal(s) past the per-run limit were dropped` : null,
  ].filter((s): s is string => s !== null);
  if (leftOut.length > 0) lines.push(`${capitalise(leftOut.join('; '))}.`);
  const notes = input.plannerSummary?.trim();
  if (notes) {
    const shown = notes.length > MAX_NOTES ? `${notes.slice(0, MAX_NOTES - 1)}…` : notes;
    lines.push('', `Notes from the ${input.plannerName} planner:`, shown);
  }
  return lines.join('\n');
}

/** `rollback_deploy service=checkout to_version=v2.13.4 in production`: an action from its structured fields. */
export function describeAction(action: {
  tool: string;
  args: Record<string, unknown>;
  environment: string;
}): string {
  const args = Object.entries(action.args)
    .map(([key, value]) => `${key}=${shortValue(value)}`)
    .join(' ');
  return `${action.tool}${args ? ` ${args}` : ''} in ${action.environment}`;
}

function headline(input: RunSummaryInput): string {
  const where = input.environment ? ` (${input.environment})` : '';
  const subject = `${input.agent} on ${input.incidentId}${where}`;
  const count = input.proposals.length;
  switch (input.state) {
    case 'completed':
      return `${subject}: finished with ${count} proposed action${count === 1 ? '' : 's'}.`;
    case 'killed':
      return `${subject}: stopped by the kill switch; nothing further ran.${input.error ? ` ${input.error}` : ''}`;
    case 'budget_exhausted':
      return `${subject}: stopped, the run budget is used up.${input.error ? ` ${input.error}` : ''}`;
    case 'failed':
      return `${subject}: the run failed and was stopped.${input.error ? ` ${input.error}` : ''}`;
  }
}

/** The warning for evidence the injection detector flagged: it changes no decision, people should know. */
function injectionWarning({
  flagged,
  proposals,
}: {
  flagged: readonly Observation[];
  proposals: number;
}): string {
  const where = flagged.map((o) => `${o.tool} in ${o.environment}`).join(', ');
  const check =
    proposals > 0 ? ' Whoever decides on these proposals should check them against that evidence.' : '';
  return `⚠ Suspected prompt injection: what ${where} returned reads like instructions aimed at the agent. Warden treated it as data only.${check}`;
}

function describeObservation(o: Observation): string {
  const action = describeAction(o);
  if (o.output && o.suspectedInjection) {
    return `${action}: ${o.output.summary} ⚠ suspected prompt injection (${o.suspectedInjection.signals.join(', ')})`;
  }
  if (o.output) return `${action}: ${o.output.summary}`;
  return `${action}: not run (${o.reasonCode})${o.error ? ` — ${o.error}` : ''}`;
}

function describeDecision(p: RunSummaryInput['proposals'][number]): string {
  if (p.decision === 'needs_approval') {
    const people = p.approvalsRequired === 1 ? '1 approval' : `${p.approvalsRequired} approvals`;
    const from = p.approvalGroups.length > 0 ? ` from ${p.approvalGroups.join(' or ')}` : '';
    return `waiting for ${people}${from}`;
  }
  if (p.decision === 'allow') {
    if (!p.execution) return 'allowed';
    if (p.execution.status === 'succeeded') return `ran: ${p.execution.summary ?? 'done'}`;
    return `allowed but ${p.execution.status.replace('_', ' ')}: ${p.execution.error ?? 'no detail'}`;
  }
  if (p.reasonCode === 'mode_shadow') return 'recorded in shadow mode, not run';
  return `blocked (${p.reasonCode}): ${p.message}`;
}

function shortValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const oneLine = (text ?? 'null').replace(/\s+/g, ' ');
  if (oneLine.length > 60) return JSON.stringify(`${oneLine.slice(0, 57)}…`);
  return /\s/.test(oneLine) ? JSON.stringify(oneLine) : oneLine;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
