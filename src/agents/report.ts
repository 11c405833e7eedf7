import type { DbOrTx } from '../db/client.ts';
import {
  countApprovalDecisions,
  countProposals,
  countShadowFeedback,
  listFirstDecisionDelays,
} from './report.repository.ts';

export { formatAgentReport } from './report.format.ts';

/** How one agent did over a period: the figures a team looks at before granting it more autonomy. */
export type AgentReport = {
  agent: string;
  /** Actions proposed (by the planner or people); evidence reads are counted apart. */
  proposals: { total: number; allow: number; needs_approval: number; deny: number };
  /** Read calls the agent made to gather evidence. */
  evidenceCalls: number;
  /** Share of proposals the guard denied; null with no proposals. */
  blockedRate: number | null;
  /**
   * What people thought of the proposals, from two sources: Agree / Disagree on shadow proposals, and in
   * other modes each person's Approve (agreement) or Reject (disagreement). A proposal that expired or was
   * cancelled before anyone decided is not feedback. `agreementRate` is over both; null with no feedback.
   */
  feedback: {
    shadow: { agree: number; disagree: number };
    approvals: { agree: number; disagree: number };
    agree: number;
    disagree: number;
    agreementRate: number | null;
  };
  /** Approve and Reject clicks per tool, from the approvals table. */
  approvalsByTool: { tool: string; approvals: number; rejections: number }[];
  /** Median ms from a proposal to the first person's approve or reject; null when nobody decided. */
  medianTimeToDecisionMs: number | null;
  /** Proposals at least one person approved or rejected. */
  decidedProposals: number;
};

export type AgentReportSet = { since: Date; now: Date; agents: AgentReport[] };

/**
 * Builds the report for proposals created in [since, now]: of one agent (always listed, even when idle), or
 * of every agent with activity. Figures come from proposals, approvals and proposal_feedback; approvals and
 * rejections count as feedback beside the shadow answers.
 */
export async function buildAgentReport({
  db,
  agent,
  since,
  now,
}: {
  db: DbOrTx;
  agent?: string;
  since: Date;
  now: Date;
}): Promise<AgentReportSet> {
  const window = { db, agent, since, now };
  const [proposalRows, feedbackRows, approvalRows, delayRows] = await Promise.all([
    countProposals(window),
    countShadowFeedback(window),
    countApprovalDecisions(window),
    listFirstDecisionDelays(window),
  ]);
  const reports = new Map<string, AgentReport>();
  const reportFor = (name: string): AgentReport => {
    let report = reports.get(name);
    if (!report) {
      report = emptyReport(name);
      reports.set(name, report);
    }
    return report;
  };
  if (agent !== undefined) reportFor(agent);
  for (const row of proposalRows) {
    const report = reportFor(row.agent);
    if (row.source === 'agent') {
      report.evidenceCalls += row.count;
      continue;
    }
    report.proposals.total += row.count;
    if (row.decision === 'allow' || row.decision === 'needs_approval' || row.decision === 'deny') {
      report.proposals[row.decision] += row.count;
    }
  }
  for (const row of feedbackRows) {
    const { shadow } = reportFor(row.agent).feedback;
    if (row.verdict === 'agree') shadow.agree += row.count;
    if (row.verdict === 'disagree') shadow.disagree += row.count;
  }
  for (const row of approvalRows) {
    const report = reportFor(row.agent);
    let entry = report.approvalsByTool.find((e) => e.tool === row.tool);
    if (!entry) {
      entry = { tool: row.tool, approvals: 0, rejections: 0 };
      report.approvalsByTool.push(entry);
    }
    // A person's Approve says they agree with the proposal; Reject says they do not.
    if (row.decision === 'approve') {
      entry.approvals += row.count;
      report.feedback.approvals.agree += row.count;
    }
    if (row.decision === 'reject') {
      entry.rejections += row.count;
      report.feedback.approvals.disagree += row.count;
    }
  }
  const delays = new Map<string, number[]>();
  for (const row of delayRows) delays.set(row.agent, [...(delays.get(row.agent) ?? []), row.ms]);
  for (const report of reports.values()) {
    const { proposals, feedback } = report;
    report.blockedRate = ratio(proposals.deny, proposals.total);
    feedback.agree = feedback.shadow.agree + feedback.approvals.agree;
    feedback.disagree = feedback.shadow.disagree + feedback.approvals.disagree;
    feedback.agreementRate = ratio(feedback.agree, feedback.agree + feedback.disagree);
    report.approvalsByTool.sort((a, b) => a.tool.localeCompare(b.tool));
    const agentDelays = delays.get(report.agent) ?? [];
    report.decidedProposals = agentDelays.length;
    report.medianTimeToDecisionMs = median(agentDelays);
  }
  const agents = [...reports.values()].sort((a, b) => a.agent.localeCompare(b.agent));
  return { since, now, agents };
}

/** The median of some numbers; null for none. Pure. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function emptyReport(agent: string): AgentReport {
  return {
    agent,
    proposals: { total: 0, allow: 0, needs_approval: 0, deny: 0 },
    evidenceCalls: 0,
    blockedRate: null,
    feedback: {
      shadow: { agree: 0, disagree: 0 },
      approvals: { agree: 0, disagree: 0 },
      agree: 0,
      disagree: 0,
      agreementRate: null,
    },
    approvalsByTool: [],
    medianTimeToDecisionMs: null,
    decidedProposals: 0,
  };
}
