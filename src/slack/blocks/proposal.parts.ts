import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { ProposalRow } from '../../proposals/proposals.repository.ts';
import type { ToolInfo } from '../../tools/define.ts';
import { context, lines, section } from './elements.ts';
import { SLACK_LIMITS } from './limits.ts';
import { codeBlock, fitMrkdwn, inlineCode, isProduction, mention, prettyJson, slackDate } from './mrkdwn.ts';

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
const EVIDENCE_MAX = 1500;

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

/** `1 of 2` approvals and from which groups. */
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
        ? `\nincluding one from each of ${groups.join(', ')}`
        : `\nfrom ${groups.join(' or ')}`;
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

/** The facts in two columns: environment, agent, risk, requester, incident, and what the caller adds. */
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
    `*Agent*\n${inlineCode(proposal.agent, 80)}`,
    `*Risk*\n${riskText(tool)}`,
    `*Requested by*\n${mention(proposal.requester)}`,
    `*Incident*\n${proposal.incidentId ? inlineCode(proposal.incidentId, 80) : '_none_'}`,
    ...extra,
    `*Rule*\n${proposal.rule ? inlineCode(proposal.rule, 200) : '_none_'}`,
  ].slice(0, SLACK_LIMITS.sectionFields);
}

/** The structured action: tool, environment and the arguments pretty-printed. Never model prose. */
export function actionSection(proposal: ProposalView): SectionBlock {
  const title = `*Action:* ${inlineCode(proposal.tool, 100)} in ${inlineCode(proposal.environment, 80)} with these arguments`;
  const body = codeBlock({
    text: prettyJson(proposal.args),
    max: SLACK_LIMITS.sectionText - title.length - 1,
    note: auditHint(proposal),
  });
  return section(`${title}\n${body}`);
}

/** The policy's sentence and reason code. */
export function policySection(proposal: ProposalView): SectionBlock {
  const sentence = fitMrkdwn({ text: proposal.reason, max: 2000 });
  return section(`*Policy* (${inlineCode(proposal.reasonCode, 80)}): ${sentence}`);
}

/** The planner's rationale and evidence, labelled as unverified and quoted so they never read as ours. */
export function unverifiedBlocks(proposal: ProposalView): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  const note = auditHint(proposal);
  if (proposal.rationale?.trim()) {
    const quoted = fitMrkdwn({ text: proposal.rationale, max: RATIONALE_MAX, note, quote: true });
    blocks.push(section(`*Planner's reason (unverified)*\n${quoted}`));
  }
  if (proposal.evidence !== null && proposal.evidence !== undefined) {
    const quoted = fitMrkdwn({ text: prettyJson(proposal.evidence), max: EVIDENCE_MAX, note, quote: true });
    blocks.push(section(`*Evidence the planner cited (unverified)*\n${quoted}`));
  }
  return blocks;
}

/** The footer: proposal and run ids and where to ask why. */
export function footer(proposal: ProposalView, extra?: string): ContextBlock {
  const run = proposal.runId ? ` · run ${inlineCode(proposal.runId, 80)}` : '';
  return context([
    `Proposal ${inlineCode(proposal.id, 80)}${run} · ${inlineCode(`/agent why ${proposal.id}`)} says which rule decided`,
    ...(extra ? [extra] : []),
  ]);
}

/** The expiry as a field: when it closes, or that it has closed. */
export function expiryText({ expiresAt, now }: { expiresAt: Date | null; now: Date }): string {
  if (!expiresAt) return '_no expiry_';
  return expiresAt.getTime() <= now.getTime() ? `closed ${slackDate(expiresAt)}` : slackDate(expiresAt);
}

/** A flagged read as a proposal's `evidence.suspectedInjection` holds it (set by the run, redacted). */
type FlaggedRead = { tool: string; signals: string[]; excerpt: string };

function flaggedReads(evidence: unknown): FlaggedRead[] {
  const list =
    evidence && typeof evidence === 'object'
      ? (evidence as { suspectedInjection?: unknown }).suspectedInjection
      : null;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown) => {
    if (!item || typeof item !== 'object') return [];
    const { tool, signals, excerpt } = item as Record<string, unknown>;
    return [
      {
        tool: typeof tool === 'string' ? tool : 'a tool',
        signals: Array.isArray(signals) ? signals.filter((x): x is string => typeof x === 'string') : [],
        excerpt: typeof excerpt === 'string' ? excerpt : '',
      },
    ];
  });
}

const QUOTED_READS = 2;
const QUOTE_MAX = 300;

/**
 * The warning every card of a tainted proposal leads with: the run read text that reads like
 * instructions aimed at the agent (the proposal's `evidence.suspectedInjection`, not empty) before it
 * proposed this. It names the tools and the detector's signals and quotes the flagged text — already
 * redacted by the guard, escaped and set in a block quote here, so it can ping, link or format nothing.
 */
export function injectionWarning(proposal: Pick<ProposalView, 'evidence'>): KnownBlock[] {
  const flagged = flaggedReads(proposal.evidence);
  if (flagged.length === 0) return [];
  const tools = [...new Set(flagged.map((f) => f.tool))].slice(0, 5).map((t) => inlineCode(t, 60));
  const signals = [...new Set(flagged.flatMap((f) => f.signals))].slice(0, 6);
  const quotes = flagged
    .filter((f) => f.excerpt.trim() !== '')
    .slice(0, QUOTED_READS)
    .map(
      (f) =>
        `${inlineCode(f.tool, 60)} returned:\n${fitMrkdwn({ text: f.excerpt, max: QUOTE_MAX, quote: true })}`,
    );
  return [
    section(
      lines(
        `:warning: *Suspected prompt injection.* Before proposing this, the run read text in what ${tools.join(', ')} returned that reads like instructions aimed at the agent${signals.length > 0 ? ` (${signals.join(', ')})` : ''}. Judge the action itself, not the planner's reasons.`,
        ...quotes,
      ),
    ),
  ];
}
