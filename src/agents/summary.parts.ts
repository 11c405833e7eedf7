import type { Observation } from './planner.types.ts';
import type { RunProposal } from './runner.types.ts';

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

/** Untrusted text (tool output, planner rationale) kept to one line of a Slack message. */
const MAX_OUTPUT = 160;
const MAX_WHY = 280;

type Group = { heading: string; count: string; proposals: SummaryProposal[] };

/**
 * The proposals by what happens next, in the order someone has to act on them: waiting for approval,
 * blocked, ran, failed or unknown, recorded in shadow mode. Empty groups are left out.
 */
export function groupProposals(proposals: readonly SummaryProposal[]): Group[] {
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
export function describeProposal(p: SummaryProposal): string[] {
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

/** One evidence read and what it gave (or why it gave nothing). */
export function describeObservation({
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
