import { clipAtWord } from '../../shared/clip.ts';
import { plural } from '../../shared/plural.ts';
import type { Observation } from '../planner.types.ts';
import type { LoopResult } from './run.loop.ts';
import type { RunOutcome, RunProposal } from './run.types.ts';

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

/** The fields of a run's proposal the summary reads. */
export type SummaryProposal = Pick<
  RunProposal,
  | 'tool'
  | 'args'
  | 'environment'
  | 'rationale'
  | 'decision'
  | 'reasonCode'
  | 'message'
  | 'approvalsRequired'
  | 'approvalGroups'
  | 'approvalGroupsMode'
  | 'selfApprovalAllowed'
  | 'execution'
>;

const MAX_NOTES = 1_000;
/** Evidence lines listed, at most; the rest are in the audit trail. */
const MAX_CHECKED = 10;
/** Untrusted text (tool output, planner rationale) kept to one line of a Slack message. */
const MAX_OUTPUT = 160;
const MAX_WHY = 280;

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
    input.skipped > 0
      ? `${plural(input.skipped, 'unreadable or refused item')} from the planner ${input.skipped === 1 ? 'was' : 'were'} skipped`
      : null,
    input.dropped > 0
      ? `${plural(input.dropped, 'proposal')} past the per-run limit ${input.dropped === 1 ? 'was' : 'were'} dropped`
      : null,
  ].filter((s): s is string => s !== null);
  if (leftOut.length > 0) lines.push('', `${capitalise(leftOut.join('; '))}.`);
  const notes = input.plannerSummary?.trim();
  if (notes) {
    const shown = clipAtWord(notes, MAX_NOTES);
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
    case 'stopped':
      return `${subject}: stopped because too many of its requests were denied; nothing further ran.${why}`;
    case 'failed':
      return `${subject}: the run failed and was stopped.${why}`;
  }
}

type Group = { heading: string; count: string; proposals: SummaryProposal[] };

/**
 * The proposals by what happens next, in the order someone has to act on them: waiting for approval,
 * blocked, ran, failed or unknown, recorded in shadow mode. Empty groups are left out.
 */
function groupProposals(proposals: readonly SummaryProposal[]): Group[] {
  const of = (kind: ProposalKind) => proposals.filter((p) => kindOf(p) === kind);
  const groups: Group[] = [
    {
      heading: '*Waiting for approval* (approve or reject on each card)',
      count: 'waiting for approval',
      proposals: of('waiting'),
    },
    { heading: '*Blocked*', count: 'blocked', proposals: of('blocked') },
    { heading: '*Ran*', count: 'ran', proposals: of('ran') },
    {
      heading: '*Did not finish* (check before retrying)',
      count: 'did not finish',
      proposals: of('unfinished'),
    },
    {
      heading: '*Recorded in shadow mode* (not run)',
      count: 'recorded in shadow mode',
      proposals: of('shadow'),
    },
  ];
  return groups
    .filter((g) => g.proposals.length > 0)
    .map((g) => ({ ...g, count: `${g.proposals.length} ${g.count}` }));
}

type ProposalKind = 'waiting' | 'blocked' | 'ran' | 'unfinished' | 'shadow';

function kindOf(p: SummaryProposal): ProposalKind {
  if (p.decision === 'needs_approval') return 'waiting';
  if (p.decision === 'allow') return p.execution?.status === 'succeeded' ? 'ran' : 'unfinished';
  return p.reasonCode === 'mode_shadow' ? 'shadow' : 'blocked';
}

/** One proposal as a bullet (the action and what became of it), and why when people must decide on it. */
function describeProposal(p: SummaryProposal): string[] {
  const action = `• ${inlineAction(p)} in ${p.environment}`;
  const why = p.rationale ? `   _Why:_ ${oneLine(p.rationale, MAX_WHY)}` : null;
  switch (kindOf(p)) {
    case 'waiting':
      return [`${action} — ${approvalNeeded(p)}`, ...(why ? [why] : [])];
    case 'blocked':
      return [`${action} — ${p.reasonCode}: ${oneLine(p.message, MAX_WHY)}`];
    case 'ran':
      return [`${action} — ${oneLine(p.execution?.summary ?? 'done', MAX_OUTPUT)}`];
    case 'unfinished': {
      const status = p.execution ? p.execution.status.replace('_', ' ') : 'allowed but not run';
      return [`${action} — ${status}: ${oneLine(p.execution?.error ?? 'no detail', MAX_OUTPUT)}`];
    }
    case 'shadow':
      return [action, ...(why ? [why] : [])];
  }
}

/** `needs 2 approvals (different people, not the requester) from sre-approvers`. */
function approvalNeeded(p: SummaryProposal): string {
  const count = p.approvalsRequired;
  const people = [count > 1 ? 'different people' : null, p.selfApprovalAllowed ? null : 'not the requester']
    .filter((s): s is string => s !== null)
    .join(', ');
  const needs = `needs ${count} approval${count === 1 ? '' : 's'}${people ? ` (${people})` : ''}`;
  if (p.approvalGroups.length === 0) return `${needs}, but the charter names no group that can approve it`;
  if (p.approvalGroupsMode === 'all' && p.approvalGroups.length > 1)
    return `${needs} from each of ${p.approvalGroups.join(', ')}`;
  return `${needs} from ${p.approvalGroups.join(' or ')}`;
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

/** One evidence read and what it gave (or why it gave nothing). */
function describeObservation({
  observation: o,
  showEnvironment,
}: {
  observation: Observation;
  showEnvironment: boolean;
}): string {
  const action = `${inlineAction(o)}${showEnvironment ? ` in ${o.environment}` : ''}`;
  if (o.output) {
    const flag = o.suspectedInjection
      ? ` ⚠ suspected prompt injection (${o.suspectedInjection.signals.join(', ')})`
      : '';
    return `${action}: ${oneLine(o.output.summary, MAX_OUTPUT)}${flag}`;
  }
  const error = o.error ? ` — ${oneLine(o.error, MAX_OUTPUT)}` : '';
  if (o.decision === 'allow') return `${action}: failed${error}`;
  if (o.decision === 'needs_approval') return `${action}: not run, it needs approval`;
  return `${action}: blocked (${o.reasonCode})${error}`;
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

/** `rollback_deploy service=checkout to_version=v2.13.4 in production`: an action from its structured fields. */
export function describeAction(action: {
  tool: string;
  args: Record<string, unknown>;
  environment: string;
}): string {
  return `${callText(action)} in ${action.environment}`;
}

/** The tool and its arguments as inline code (no backtick inside can end it early). */
export function inlineAction(action: { tool: string; args: Record<string, unknown> }): string {
  return `\`${callText(action).replace(/`/g, 'ˋ')}\``;
}

function callText(action: { tool: string; args: Record<string, unknown> }): string {
  const args = Object.entries(action.args)
    .map(([key, value]) => `${key}=${shortValue(value)}`)
    .join(' ');
  return `${action.tool}${args ? ` ${args}` : ''}`;
}

/** A short value as is; a long or multi-line text (a ticket body) by its length only. */
function shortValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeof value === 'string' && (value.length > 120 || value.includes('\n')))
    return `[${value.length} chars]`;
  const single = (text ?? 'null').replace(/\s+/g, ' ');
  if (single.length > 60) return JSON.stringify(`${single.slice(0, 57)}…`);
  return /\s/.test(single) ? JSON.stringify(single) : single;
}

function oneLine(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length > max ? `${single.slice(0, max - 1)}…` : single;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What a run's end records of its loop: proposals by decision, skipped and dropped calls, observations. */
export function countsOf(result: LoopResult): Record<string, unknown> {
  const byDecision = { allow: 0, needs_approval: 0, deny: 0 };
  for (const p of result.proposals) {
    if (p.decision === 'allow' || p.decision === 'needs_approval' || p.decision === 'deny')
      byDecision[p.decision] += 1;
  }
  return {
    proposals: byDecision,
    proposalIds: result.proposals.map((p) => p.proposalId),
    skippedCalls: result.skipped.filter((s) => s.kind === 'call').length,
    skippedProposals: result.skipped.filter((s) => s.kind === 'proposal').length,
    droppedProposals: result.dropped,
    observations: result.observations.length,
  };
}
