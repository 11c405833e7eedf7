import { buildAgentReport, formatAgentReport } from '../../agents/report.ts';
import { listAuditTrail } from '../../audit/audit.repository.ts';
import { listBreakerStates } from '../../breakers/breakers.repository.ts';
import { listKillSwitches } from '../../breakers/kill-switch.repository.ts';
import { readAgentFigures } from '../../observability/figures.ts';
import { describeCharter } from '../../policy/charter.describe.ts';
import { describeReason } from '../../policy/reasons.ts';
import { getProposal, listApprovals, listPending } from '../../proposals/proposals.repository.ts';
import { listRuns } from '../../runs/runs.repository.ts';
import { charterMessage } from '../blocks/charter.blocks.ts';
import type { SlackMessage } from '../blocks/elements.ts';
import { statusWithFigures } from '../blocks/home.blocks.ts';
import { auditTrailMessage, usageMessage, whyMessage } from '../blocks/info.blocks.ts';
import { codeBlock } from '../blocks/mrkdwn.ts';
import { statusMessage } from '../blocks/status.blocks.ts';
import type { SlackDeps } from '../slack.types.ts';

const TRAIL_LIMIT = 60;
const DAY_MS = 86_400_000;

/** `/agent status`: kill switches, breakers, open runs, pending approvals, and each agent's last 24 h. */
export async function answerStatus({ deps }: { deps: SlackDeps }): Promise<SlackMessage> {
  const now = deps.clock.now();
  const status = statusMessage({
    killSwitches: await listKillSwitches({ db: deps.db }),
    breakers: await listBreakerStates({ db: deps.db, now }),
    openRuns: await listRuns({ db: deps.db, states: ['running'] }),
    pendingProposals: await listPending({ db: deps.db }),
    now,
  });
  const agents = deps.charters.list().map((c) => c.agent);
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

/** `/agent report [agent]`: the last 7 days of proposals, agreement, approvals and decision times. */
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
  const text = formatAgentReport(report);
  return {
    text: text.slice(0, 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: codeBlock({ text, max: 2900 }) } }],
  };
}
