import { formatDuration, timeToDecideText } from '../observability/figures.definitions.ts';
import type { AgentReport, AgentReportSet } from './report.ts';

/**
 * The report as plain text (a terminal, a file, a notification): its period in UTC, readable anywhere.
 * Slack shows the period with `slackDate` above `agentReportBody` instead. Pure.
 */
export function formatAgentReport(report: AgentReportSet): string {
  return [
    `Agent report for ${utcMinute(report.since)} to ${utcMinute(report.now)}`,
    '',
    agentReportBody(report),
  ].join('\n');
}

/** The report without its period line: one paragraph per agent. Pure. */
export function agentReportBody(report: AgentReportSet): string {
  if (report.agents.length === 0) return 'No agent proposed anything in this period.';
  return report.agents.map((agent) => agentLines(agent).join('\n')).join('\n\n');
}

function agentLines(r: AgentReport): string[] {
  const lines = [r.agent];
  const p = r.proposals;
  if (p.total === 0) {
    lines.push('  No proposals in this period.');
  } else {
    lines.push(
      `  Proposals: ${p.total} (${p.allow} allowed, ${p.needs_approval} sent for approval, ${p.deny} blocked); blocked rate ${pct(r.blockedRate)}`,
    );
  }
  if (r.evidenceCalls > 0) lines.push(`  Evidence reads: ${r.evidenceCalls}`);
  const f = r.feedback;
  if (f.agree + f.disagree > 0) {
    const { shadow, approvals } = f;
    lines.push(
      `  Feedback: ${f.agree} agree, ${f.disagree} disagree; agreement ${pct(f.agreementRate)}`,
      `    shadow Agree / Disagree: ${shadow.agree} agree, ${shadow.disagree} disagree`,
      `    Approve / Reject clicks: ${approvals.agree} agree, ${approvals.disagree} disagree`,
    );
  }
  const a = r.approvals;
  if (a.approved + a.rejected + a.clicks.approve + a.clicks.reject > 0) {
    lines.push(
      `  Proposals decided by people: ${a.approved} approved, ${a.rejected} rejected (${clicks(a.clicks.approve, 'Approve')}, ${clicks(a.clicks.reject, 'Reject')})`,
    );
  }
  if (r.approvalsByTool.length > 0) {
    const perTool = r.approvalsByTool.map((t) => `${t.tool} ${t.approved} approved / ${t.rejected} rejected`);
    lines.push(`    per tool: ${perTool.join('; ')}`);
  }
  if (r.timeToDecide.proposals > 0)
    lines.push(`  Time to first decision: ${timeToDecideText(r.timeToDecide)}`);
  return lines;
}

function clicks(n: number, name: string): string {
  return `${n} ${name} click${n === 1 ? '' : 's'}`;
}

function pct(rate: number | null): string {
  return rate === null ? 'n/a' : `${Math.round(rate * 100)}%`;
}

/** `42 s`, `4 min 10 s`, `2 h 5 min`. */
export function duration(ms: number): string {
  return formatDuration(ms / 1000);
}

/** `2026-11-24 09:00 UTC`: the plain-text period, the same in every reader's place. */
export function utcMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
