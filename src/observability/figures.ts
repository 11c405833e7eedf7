import { listBreakerStates } from '../breakers/breakers.repository.ts';
import { listKillSwitches } from '../breakers/kill-switch.repository.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import {
  countApprovalClicks,
  countSettledProposals,
  listFirstDecisions,
} from './figures.decisions.repository.ts';
import {
  type ApprovalFigures,
  type BreakerFigure,
  summarizeBreakers,
  type TimeToDecide,
  type ToolCallFigures,
  timeToDecide,
} from './figures.definitions.ts';
import { type AuditCountRow, countAuditByAgent, listRecentAlerts } from './figures.repository.ts';

/** One agent's last-24-hours figures, as `/agent status` and the App Home show them. */
export type AgentFigures = {
  agent: string;
  runs: { started: number; finished: number; byOutcome: Record<string, number> };
  decisions: { allow: number; needsApproval: number; deny: number };
  toolCalls: ToolCallFigures;
  approvals: ApprovalFigures;
  timeToDecide: TimeToDecide;
  breakerTrips: number;
  alerts: number;
  tokens: number;
};

export const FIGURES_WINDOW_MS = 24 * 3_600_000;

/** The decisions people made in a window, per agent: the inputs of `approvals` and `timeToDecide`. */
export type PeopleDecisionRows = {
  firstDecisions: { agent: string; tool: string; seconds: number }[];
  settled: { agent: string; tool: string; outcome: 'approved' | 'rejected'; n: number }[];
  clicks: { agent: string; tool: string; decision: string; n: number }[];
};

/** Reads what people decided in [since, until] (of one agent or all): one read for status and report. */
export async function readPeopleDecisions(window: {
  db: DbOrTx;
  agent?: string;
  since: Date;
  until: Date;
}): Promise<PeopleDecisionRows> {
  const [firstDecisions, settled, clicks] = await Promise.all([
    listFirstDecisions(window),
    countSettledProposals(window),
    countApprovalClicks(window),
  ]);
  return { firstDecisions, settled, clicks };
}

/**
 * Per-agent figures for the window ending at `now` (default 24 h), read from the audit trail (the same
 * events the Prometheus counters count), the proposals and the approvals. Every agent named appears.
 */
export async function readAgentFigures({
  db,
  agents,
  now,
  windowMs = FIGURES_WINDOW_MS,
}: {
  db: Db;
  agents: string[];
  now: Date;
  windowMs?: number;
}): Promise<AgentFigures[]> {
  const since = new Date(now.getTime() - windowMs);
  const rows = await countAuditByAgent({ db, since, until: now });
  const decisions = await readPeopleDecisions({ db, since, until: now });
  const names = [...new Set([...agents, ...rows.map((r) => r.agent)])].filter(Boolean);
  return names.map((agent) =>
    figuresOf({
      agent,
      rows: rows.filter((r) => r.agent === agent),
      decisions: decisionsOf(decisions, agent),
    }),
  );
}

/** One agent's share of the decision rows. */
export function decisionsOf(rows: PeopleDecisionRows, agent: string): PeopleDecisionRows {
  return {
    firstDecisions: rows.firstDecisions.filter((r) => r.agent === agent),
    settled: rows.settled.filter((r) => r.agent === agent),
    clicks: rows.clicks.filter((r) => r.agent === agent),
  };
}

/** Proposals approved and rejected, clicks apart (see `ApprovalFigures`); `expired` from the caller. Pure. */
export function approvalsOf(rows: PeopleDecisionRows, expired = 0): ApprovalFigures {
  const settled = (outcome: string) =>
    rows.settled.filter((r) => r.outcome === outcome).reduce((n, r) => n + r.n, 0);
  const clicks = (decision: string) =>
    rows.clicks.filter((r) => r.decision === decision).reduce((n, r) => n + r.n, 0);
  return {
    approved: settled('approved'),
    rejected: settled('rejected'),
    expired,
    clicks: { approve: clicks('approve'), reject: clicks('reject') },
  };
}

/** Folds counted audit rows and people's decisions into one agent's figures (pure). */
export function figuresOf({
  agent,
  rows,
  decisions,
}: {
  agent: string;
  rows: AuditCountRow[];
  decisions: PeopleDecisionRows;
}): AgentFigures {
  const sum = (match: (r: AuditCountRow) => boolean) => rows.filter(match).reduce((n, r) => n + r.n, 0);
  const of = (action: string) => sum((r) => r.action === action);
  const byOutcome: Record<string, number> = {};
  for (const r of rows.filter((row) => row.action === 'run.finished')) {
    const outcome = r.reason ?? 'unknown';
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + r.n;
  }
  const decided = (decision: string) =>
    sum((r) => r.action === 'proposal.decided' && r.decision === decision);
  return {
    agent,
    runs: { started: of('run.started'), finished: of('run.finished'), byOutcome },
    decisions: { allow: decided('allow'), needsApproval: decided('needs_approval'), deny: decided('deny') },
    toolCalls: {
      succeeded: of('execution.succeeded'),
      failed: of('execution.failed'),
      outcomeUnknown: of('execution.outcome_unknown'),
      refused: of('execution.refused'),
    },
    approvals: approvalsOf(decisions, of('proposal.expired')),
    timeToDecide: timeToDecide(decisions.firstDecisions.map((d) => d.seconds)),
    breakerTrips: of('breaker.tripped'),
    alerts: of('alert.raised'),
    tokens: rows.reduce((n, r) => n + r.tokens, 0),
  };
}

/** Every breaker (see `BreakerFigure`): the charters' and any other tracked one, with its state now. */
export async function readBreakerFigures({
  db,
  charters,
  now,
}: {
  db: DbOrTx;
  charters: readonly { agent: string; breakers: readonly { name: string }[] }[];
  now: Date;
}): Promise<BreakerFigure[]> {
  return summarizeBreakers({ charters, rows: await listBreakerStates({ db, now }) });
}

/** What the App Home shows: the figures, the kill switches, the breakers and the latest alerts. */
export async function readHomeFigures({
  db,
  agents,
  charters = [],
  now,
}: {
  db: Db;
  agents: string[];
  /** The loaded charters, whose breakers are listed even when never tripped. */
  charters?: readonly { agent: string; breakers: readonly { name: string }[] }[];
  now: Date;
}) {
  const since = new Date(now.getTime() - FIGURES_WINDOW_MS);
  return {
    figures: await readAgentFigures({ db, agents, now }),
    killSwitches: await listKillSwitches({ db }),
    recentAlerts: await listRecentAlerts({ db, since, limit: 5 }),
    breakers: await readBreakerFigures({ db, charters, now }),
    now,
  };
}
