import { agentReportBody, buildAgentReport, formatAgentReport } from '../../agents/report.ts';
import { listAuditTrail } from '../../audit/audit.repository.ts';
import { listKillSwitches } from '../../breakers/kill-switch.repository.ts';
import { formatPromotionReport, readPromotionReport } from '../../evals/promotion.report.ts';
import { countRunToolCalls } from '../../observability/figures.decisions.repository.ts';
import { readAgentFigures, readBreakerFigures } from '../../observability/figures.ts';
import { describeCharter } from '../../policy/charter.describe.ts';
import { describeReason } from '../../policy/reasons.ts';
import { getProposal, listApprovals, listPending } from '../../proposals/proposals.repository.ts';
import { listRuns } from '../../runs/runs.repository.ts';
import { charterMessage } from '../blocks/charter.blocks.ts';
import type { SlackMessage } from '../blocks/elements.ts';
import { statusWithFigures } from '../blocks/home.blocks.ts';
import { auditTrailMessage, usageMessage, whyMessage } from '../blocks/info.blocks.ts';
import { codeBlock, slackDate } from '../blocks/mrkdwn.ts';
import { statusMessage } from '../blocks/status.blocks.ts';
import type { SlackDeps } from '../slack.types.ts';

const TRAIL_LIMIT = 60;
const DAY_MS = 86_400_000;

/** `/agent status`: kill switches, breakers, open runs, pending approvals, and each agent's last 24 h. */
export async function answerStatus({ deps }: { deps: SlackDeps }): Promise<SlackMessage> {
  const now = deps.clock.now();
  const charters = deps.charters.list();
  const running = await listRuns({ db: deps.db, states: ['running'] });
  const calls = await countRunToolCalls({ db: deps.db, runIds: running.map((r) => r.id) });
  const status = statusMessage({
    killSwitches: await listKillSwitches({ db: deps.db }),
    breakers: await readBreakerFigures({ db: deps.db, charters, now }),
    openRuns: running.map((run) => ({ ...run, calls: calls.get(run.id) })),
    pendingProposals: await listPending({ db: deps.db }),
    now,
  });
  const agents = charters.map((c) => c.agent);
  return statusWithFigures({ status, figures: await readAgentFigures({ db: deps.db, agents, now }) });
}

/** `/agent audit <run-id|incident-id>`: the readable trail, newest part cut when long. */
export async function answerAudit({
  deps,
  subject,
}: {
  deps: SlackDeps;
  subject: string;
}): Promise<SlackMessage> {
  const filter = subject.startsWith('run_') ? { runId: subject } : { incidentId: subject };
  const events = await listAuditTrail({ db: deps.db, ...filter, limit: TRAIL_LIMIT + 1 });
  return auditTrailMessage({
    subject,
    events: events.slice(0, TRAIL_LIMIT),
    truncatedCount: Math.max(0, events.length - TRAIL_LIMIT),
  });
}

/** `/agent why <proposal-id>`: which charter rule decided, and why, in words. */
export async function answerWhy({
  deps,
  proposalId,
}: {
  deps: SlackDeps;
  proposalId: string;
}): Promise<SlackMessage> {
  const proposal = await getProposal({ db: deps.db, id: proposalId });
  if (!proposal) return usageMessage({ problem: `there is no proposal ${proposalId}` });
  return whyMessage({
    proposal,
    approvals: await listApprovals({ db: deps.db, proposalId }),
    reasonDescription: describeReason({ code: proposal.reasonCode }),
  });
}

/** `/agent charter [agent]`: the charter in readable form. */
export function answerCharter({ deps, agent }: { deps: SlackDeps; agent: string | undefined }): SlackMessage {
  const charter = deps.charters.get(agent ?? 'triage') ?? deps.charters.list()[0];
  if (!charter) return usageMessage({ problem: 'no charters are loaded' });
  return charterMessage({
    charter,
    describe: (person) => describeCharter({ charter, toolCatalog: deps.registry.catalog(), person }),
  });
}

/**
 * `/agent report [agent]`: the last 7 days of proposals, agreement, approvals and decision times; then, for
 * charters with promotion gates, each environment's mode, the recorded eval evidence and the next step.
 */
export async function answerReport({
  deps,
  agent,
}: {
  deps: SlackDeps;
  agent: string | undefined;
}): Promise<SlackMessage> {
  const now = deps.clock.now();
  const report = await buildAgentReport({
    db: deps.db,
    agent,
    since: new Date(now.getTime() - 7 * DAY_MS),
    now,
  });
  // Slack shows dates in each reader's time zone, but not inside a code block: the period goes above it.
  // The notification text is plain, so it keeps the readable UTC period.
  const period = `*Agent report* for ${slackDate(report.since)} to ${slackDate(report.now)}`;
  const charter = agent === undefined ? null : deps.charters.get(agent);
  const promotion = formatPromotionReport(
    await readPromotionReport({
      db: deps.db,
      charters: charter ? [charter] : agent === undefined ? deps.charters.list() : [],
      versionsFor: (name) => deps.runner.versionsFor(name),
    }),
  );
  const withPromotion = (text: string) => (promotion ? `${text}\n\n${promotion}` : text);
  const body = withPromotion(agentReportBody(report));
  return {
    text: withPromotion(formatAgentReport(report)).slice(0, 3000),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: period } },
      { type: 'section', text: { type: 'mrkdwn', text: codeBlock({ text: body, max: 2900 }) } },
    ],
  };
}
