import type { Observation } from './planner.types.ts';
import type { RunOutcome } from './runner.types.ts';
import {
  describeObservation,
  describeProposal,
  groupProposals,
  type SummaryProposal,
} from './summary.parts.ts';

export { describeAction } from './summary.parts.ts';

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
  proposals: readonly SummaryProposal[];
  skipped: number;
  dropped: number;
};

const MAX_NOTES = 1_000;
/** Evidence lines listed, at most; the rest are in the audit trail. */
const MAX_CHECKED = 10;

/**
 * The run summary people read in Slack (as mrkdwn, in the run's thread) and in the audit trail. It leads
 * with what needs someone: how the run ended, then the proposals grouped by what happens next (waiting
 * for approval and from whom, blocked and why, ran, failed), then what the planner found and what was
 * checked. Pure; every decision comes from the structured records, never from the planner's prose.
 */
export function buildRunSummary(input: RunSummaryInput): string {
  const groups = groupProposals(input.proposals);
  const lines = [headline({ input, counts: groups.map((g) => g.count) })];
  const flagged = input.observations.filter((o) => o.suspectedInjection);
  if (flagged.length > 0) lines.push('', injectionWarning({ flagged, proposals: input.proposals.length }));
  for (const group of groups) {
    lines.push('', group.heading);
    for (const p of group.proposals) lines.push(...describeProposal(p));
  }
  if (input.proposals.length === 0 && input.state !== 'completed') {
    lines.push('', 'Nothing was proposed before the run stopped.');
  }
  const leftOut = [
    input.skipped > 0 ? `${input.skipped} unreadable or refused item(s) from the planner were skipped` : null,
    input.dropped > 0 ? `${input.dropped} proposal(s) past the per-run limit were dropped` : null,
  ].filter((s): s is string => s !== null);
  if (leftOut.length > 0) lines.push('', `${capitalise(leftOut.join('; '))}.`);
  const notes = input.plannerSummary?.trim();
  if (notes) {
    const shown = notes.length > MAX_NOTES ? `${notes.slice(0, MAX_NOTES - 1)}…` : notes;
    lines.push('', `*Found* (the ${input.plannerName} planner's notes)`, shown);
  }
  if (input.observations.length > 0) lines.push('', ...checked(input));
  return lines.join('\n');
}

function headline({ input, counts }: { input: RunSummaryInput; counts: string[] }): string {
  const where = input.environment ? ` (${input.environment})` : '';
  const subject = `${input.agent} on ${input.incidentId}${where}`;
  const why = input.error ? ` ${input.error}` : '';
  switch (input.state) {
    case 'completed':
      return counts.length === 0
        ? `${subject}: finished. Nothing was proposed.`
        : `${subject}: finished — ${counts.join(', ')}.`;
    case 'killed':
      return `${subject}: stopped by the kill switch; nothing further ran.${why}`;
    case 'budget_exhausted':
      return `${subject}: stopped, the run budget is used up.${why}`;
    case 'failed':
      return `${subject}: the run failed and was stopped.${why}`;
  }
}

/** The evidence reads: the environment named once when they all share the run's, else on each line. */
function checked(input: RunSummaryInput): string[] {
  const { observations, environment } = input;
  const shared = environment !== null && observations.every((o) => o.environment === environment);
  const reads = `${observations.length} read${observations.length === 1 ? '' : 's'}`;
  const lines = [shared ? `*Checked* — ${reads} in ${environment}` : `*Checked* — ${reads}`];
  for (const o of observations.slice(0, MAX_CHECKED))
    lines.push(`• ${describeObservation({ observation: o, showEnvironment: !shared })}`);
  const more = observations.length - MAX_CHECKED;
  if (more > 0) lines.push(`…and ${more} more in the audit trail.`);
  return lines;
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

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
