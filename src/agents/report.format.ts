import type { AgentReport, AgentReportSet } from './report.ts';

/** The report as plain text for `/agent report`. Pure. */
export function formatAgentReport(report: AgentReportSet): string {
  const lines = [`Agent report for ${day(report.since)} to ${day(report.now)}`];
  if (report.agents.length === 0) lines.push('', 'No agent proposed anything in this period.');
  for (const agent of report.agents) lines.push('', ...agentLines(agent));
  return lines.join('\n');
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
      `    approvals and rejections: ${approvals.agree} approved, ${approvals.disagree} rejected`,
    );
  }
  if (r.approvalsByTool.length > 0) {
    const perTool = r.approvalsByTool.map(
      (t) => `${t.tool} ${t.approvals} approved / ${t.rejections} rejected`,
    );
    lines.push(`  Approvals: ${perTool.join('; ')}`);
  }
  if (r.medianTimeToDecisionMs !== null) {
    lines.push(
      `  Median time to first human decision: ${duration(r.medianTimeToDecisionMs)} (${r.decidedProposals} proposal${r.decidedProposals === 1 ? '' : 's'})`,
    );
  }
  return lines;
}

function pct(rate: number | null): string {
  return rate === null ? 'n/a' : `${Math.round(rate * 100)}%`;
}

/** `42 s`, `4 min 10 s`, `2 h 5 min`. */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

function day(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
