import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { ProposalRow } from '../../proposals/proposals.repository.ts';
import { plural } from '../../shared/plural.ts';
import type { ToolInfo } from '../../tools/define.ts';
import { labelledFields } from './action-args.parts.ts';
import { cardLines } from './card-height.parts.ts';
import { context, lines, section } from './elements.ts';
import { claimText, observationLine, observationsOf, plannerClaims } from './evidence.parts.ts';
import { SLACK_LIMITS } from './limits.ts';
import { fitMrkdwn, inlineCode, isProduction, mention, slackDate } from './mrkdwn.ts';

/** The proposal facts a card shows; a stored `ProposalRow` fits. */
export type ProposalView = Pick<
  ProposalRow,
  | 'id'
  | 'runId'
  | 'agent'
  | 'tool'
  | 'args'
  | 'environment'
  | 'state'
  | 'decision'
  | 'reasonCode'
  | 'reason'
  | 'rule'
  | 'approvalsRequired'
  | 'approvalSpec'
  | 'requester'
  | 'incidentId'
  | 'rationale'
  | 'evidence'
  | 'result'
  | 'error'
  | 'stateReason'
  | 'createdAt'
  | 'expiresAt'
  | 'decidedAt'
  | 'executionStartedAt'
  | 'finishedAt'
>;

/** What a card says about the tool; null when the tool is not one Warden knows. */
export type ToolFacts = Pick<ToolInfo, 'kind' | 'risk' | 'reversible'> | null;

/** One approver decision; a stored approvals row fits. */
export type ApprovalView = {
  approver: string;
  /** approve | reject */
  decision: string;
  createdAt: Date;
  reason?: string | null;
  groups?: readonly string[];
};

const MAX_NAMED_APPROVERS = 10;
const RATIONALE_MAX = 1000;
/** Lines a long argument (a ticket's body) takes on a card before the rest is counted. */
const ARG_LINES = 8;
const MAX_OBSERVATIONS = 6;
const MIN_OBSERVATIONS = 1;

/** Where to read what a card cut short. */
export function auditHint(proposal: Pick<ProposalView, 'id' | 'runId'>): string {
  return proposal.runId
    ? `see ${inlineCode(`/agent audit ${proposal.runId}`)}`
    : `see ${inlineCode(`/agent why ${proposal.id}`)}`;
}

/** The environment, highlighted when it is production. */
export function environmentText(environment: string): string {
  const name = inlineCode(environment, 80);
  return isProduction(environment) ? `:rotating_light: *PRODUCTION* ${name}` : name;
}

/** Risk, reversibility and kind in words; an unknown tool is said to be unknown, never low risk. */
export function riskText(tool: ToolFacts): string {
  if (!tool) return ':grey_question: unknown tool (not in Warden’s registry)';
  const icon = { low: ':large_green_circle:', medium: ':large_orange_circle:', high: ':red_circle:' }[
    tool.risk
  ];
  const reversible = tool.reversible ? 'reversible' : '*not reversible*';
  return `${icon} ${tool.risk} risk · ${reversible} · ${tool.kind}`;
}

/** The approval rule stored with the proposal, read defensively (it is JSON from the database). */
export function approvalRule(proposal: Pick<ProposalView, 'approvalsRequired' | 'approvalSpec'>): {
  needed: number;
  from: string[];
  groupsMode: 'any' | 'all';
} {
  const spec = proposal.approvalSpec ?? {};
  const count = typeof spec.count === 'number' ? spec.count : 1;
  const from = Array.isArray(spec.from) ? spec.from.filter((g): g is string => typeof g === 'string') : [];
  const needed = proposal.approvalsRequired > 0 ? proposal.approvalsRequired : Math.max(1, count);
  return { needed, from, groupsMode: spec.groupsMode === 'all' ? 'all' : 'any' };
}

/** Distinct people who approved, in order. */
function approversOf(approvals: readonly ApprovalView[], decision: string): ApprovalView[] {
  const seen = new Set<string>();
  return approvals.filter((a) => a.decision === decision && !seen.has(a.approver) && seen.add(a.approver));
}

/** `1 of 2` approvals and from which groups, on one line. */
export function approvalsText({
  proposal,
  approvals,
}: {
  proposal: Pick<ProposalView, 'approvalsRequired' | 'approvalSpec'>;
  approvals: readonly ApprovalView[];
}): string {
  const rule = approvalRule(proposal);
  const got = Math.min(approversOf(approvals, 'approve').length, rule.needed);
  const groups = rule.from.map((g) => inlineCode(g, 60));
  const from =
    groups.length === 0
      ? ''
      : rule.groupsMode === 'all'
        ? `, one from each of ${groups.join(', ')}`
        : ` from ${groups.join(' or ')}`;
  return `*${got} of ${rule.needed}*${from}`;
}

/** Who approved (and who rejected), naming at most ten people. */
export function approverLine({
  approvals,
  includeRejections = true,
}: {
  approvals: readonly ApprovalView[];
  includeRejections?: boolean;
}): string | null {
  const named = (list: ApprovalView[]) => {
    const shown = list.slice(0, MAX_NAMED_APPROVERS).map((a) => mention(a.approver));
    const more = list.length - shown.length;
    return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
  };
  const approved = approversOf(approvals, 'approve');
  const rejected = includeRejections ? approversOf(approvals, 'reject') : [];
  const parts = [
    approved.length > 0 ? `:white_check_mark: Approved by ${named(approved)}` : null,
    rejected.length > 0 ? `:no_entry_sign: Rejected by ${named(rejected)}` : null,
  ];
  return lines(...parts) || null;
}

/**
 * The facts in two columns, two lines each: environment, risk, who asked (through which agent), incident,
 * and what the caller adds. The rule that decided is in the footer.
 */
export function factFields({
  proposal,
  tool,
  extra = [],
}: {
  proposal: ProposalView;
  tool: ToolFacts;
  extra?: string[];
}): string[] {
  return [
    `*Environment*\n${environmentText(proposal.environment)}`,
    `*Risk*\n${riskText(tool)}`,
    `*Requested by*\n${mention(proposal.requester)} via ${inlineCode(proposal.agent, 60)}`,
    `*Incident*\n${proposal.incidentId ? inlineCode(proposal.incidentId, 80) : '_none_'}`,
    ...extra,
  ].slice(0, SLACK_LIMITS.sectionFields);
}

/**
 * The structured action: tool and environment, then each argument as a labelled field (a ticket's body as
 * text with its line breaks). Never model prose beyond the arguments themselves, all escaped.
 */
export function actionSection(proposal: ProposalView): SectionBlock {
  const title = `*Action:* ${inlineCode(proposal.tool, 100)} in ${inlineCode(proposal.environment, 80)}`;
  const args = proposal.args;
  if (!args || typeof args !== 'object' || Object.keys(args).length === 0) {
    return section(`${title}, with no arguments`);
  }
  const body = labelledFields({
    record: args,
    max: SLACK_LIMITS.sectionText - title.length - 1,
    maxLines: ARG_LINES,
    note: auditHint(proposal),
  });
  return section(`${title}\n${body}`);
}

/** The policy's sentence and reason code, in small print under the facts it explains. */
export function policyLine(proposal: ProposalView): ContextBlock {
  const sentence = fitMrkdwn({ text: proposal.reason, max: 2000 });
  return context([`*Policy* (${inlineCode(proposal.reasonCode, 80)}): ${sentence}`]);
}

/**
 * The planner's case, labelled unverified and quoted so it never reads as ours: its reason, what it expects
 * and how to undo it, then the distinct observations it rests on, each once. `room` is the lines the card
 * can spare: the observations shrink to fit it (never below one); the rest are counted.
 */
export function unverifiedBlocks(
  proposal: ProposalView,
  { room = Number.POSITIVE_INFINITY }: { room?: number } = {},
): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  const note = auditHint(proposal);
  const claims = plannerClaims(proposal.evidence);
  const reason = proposal.rationale?.trim()
    ? fitMrkdwn({ text: proposal.rationale.trim(), max: RATIONALE_MAX, note, quote: true })
    : null;
  const expects = claims.expectedEffect ? `> _Expected effect:_ ${claimText(claims.expectedEffect)}` : null;
  const undo = claims.rollback ? `> _To undo:_ ${claimText(claims.rollback)}` : null;
  if (reason || expects || undo) {
    blocks.push(section(lines("*Planner's reason (unverified)*", reason, expects, undo)));
  }
  const seen = observationsOf({ evidence: proposal.evidence, environment: proposal.environment });
  if (seen.length === 0) return blocks;
  const spare = room - cardLines(blocks);
  const sawBlock = (count: number) => {
    const shown = seen.slice(0, count).map((text) => `> • ${observationLine({ text })}`);
    const more = seen.length - shown.length;
    return section(
      lines(
        '*What the planner saw (unverified)*',
        ...shown,
        more > 0 ? `_and ${plural(more, 'more observation')}; ${note}_` : null,
      ),
    );
  };
  let count = Math.min(MAX_OBSERVATIONS, seen.length);
  while (count > MIN_OBSERVATIONS && cardLines([sawBlock(count)]) > spare) count -= 1;
  blocks.push(sawBlock(count));
  return blocks;
}

/** The footer: how to ask why (which names the proposal), the run and the rule that decided. */
export function footer(proposal: ProposalView, extra?: string): ContextBlock {
  const run = proposal.runId ? ` · run ${inlineCode(proposal.runId, 80)}` : '';
  const rule = proposal.rule ? ` · rule ${inlineCode(proposal.rule, 200)}` : '';
  return context([`${inlineCode(`/agent why ${proposal.id}`)}${run}${rule}`, ...(extra ? [extra] : [])]);
}

export { injectionWarning } from './injection.parts.ts';

/** The expiry as a field: when it closes, or that it has closed. */
export function expiryText({ expiresAt, now }: { expiresAt: Date | null; now: Date }): string {
  if (!expiresAt) return '_no expiry_';
  return expiresAt.getTime() <= now.getTime() ? `closed ${slackDate(expiresAt)}` : slackDate(expiresAt);
}
