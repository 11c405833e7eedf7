import type { DbOrTx } from '../db/client.ts';
import {
  type ApprovalFigures,
  type TimeToDecide,
  timeToDecide,
} from '../observability/figures.definitions.ts';
import { approvalsOf, decisionsOf, readPeopleDecisions } from '../observability/figures.ts';
import { countProposals, countShadowFeedback } from './report.repository.ts';

export { median } from '../observability/figures.definitions.ts';
export { agentReportBody, formatAgentReport } from './report.format.ts';

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
   * other modes each person's Approve (agreement) or Reject (disagreement) click in the period. A proposal
   * that expired or was cancelled before anyone decided is not feedback. `agreementRate` is over both.
   */
  feedback: {
    shadow: { agree: number; disagree: number };
    approvals: { agree: number; disagree: number };
    agree: number;
    disagree: number;
    agreementRate: number | null;
  };
  /** Proposals people approved and rejected in the period, clicks apart (`ApprovalFigures`, as in status). */
  approvals: Omit<ApprovalFigures, 'expired'>;
  /** The same per tool, proposals only. */
  approvalsByTool: { tool: string; approved: number; rejected: number }[];
  /** From a proposal to the first human decision on it, decided in the period (as in status). */
  timeToDecide: TimeToDecide;
};

export type AgentReportSet = { since: Date; now: Date; agents: AgentReport[] };

/**
 * Builds the report for [since, now]: of one agent (always listed, even when idle), or of every agent with
 * activity. Proposal counts and shadow feedback are of proposals created in the period; what people
 * decided (approvals, time to decide, their clicks as feedback) is what they decided in the period, read
 * with the same definitions as `/agent status` (`readPeopleDecisions`).
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
  const [proposalRows, feedbackRows, decisions] = await Promise.all([
    countProposals(window),
    countShadowFeedback(window),
    readPeopleDecisions({ db, agent, since, until: now }),
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
  for (const row of [...decisions.settled, ...decisions.clicks, ...decisions.firstDecisions])
    reportFor(row.agent);
  for (const report of reports.values()) {
    const { proposals, feedback } = report;
    const mine = decisionsOf(decisions, report.agent);
    const { expired: _expired, ...approvals } = approvalsOf(mine);
    report.approvals = approvals;
    const tools = [...new Set(mine.settled.map((r) => r.tool))].sort((a, b) => a.localeCompare(b));
    report.approvalsByTool = tools.map((tool) => {
      const { approved, rejected } = approvalsOf({
        ...mine,
        settled: mine.settled.filter((r) => r.tool === tool),
      });
      return { tool, approved, rejected };
    });
    report.timeToDecide = timeToDecide(mine.firstDecisions.map((d) => d.seconds));
    // A person's Approve says they agree with the proposal; Reject says they do not.
    feedback.approvals = { agree: approvals.clicks.approve, disagree: approvals.clicks.reject };
    report.blockedRate = ratio(proposals.deny, proposals.total);
    feedback.agree = feedback.shadow.agree + feedback.approvals.agree;
    feedback.disagree = feedback.shadow.disagree + feedback.approvals.disagree;
    feedback.agreementRate = ratio(feedback.agree, feedback.agree + feedback.disagree);
  }
  const agents = [...reports.values()].sort((a, b) => a.agent.localeCompare(b.agent));
  return { since, now, agents };
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
    approvals: { approved: 0, rejected: 0, clicks: { approve: 0, reject: 0 } },
    approvalsByTool: [],
    timeToDecide: { medianSeconds: null, proposals: 0 },
  };
}
