import { listBreakerStates } from '../breakers/breakers.repository.ts';
import { listKillSwitches } from '../breakers/kill-switch.repository.ts';
import type { Db } from '../db/client.ts';
import {
  type AuditCountRow,
  countAuditByAgent,
  listRecentAlerts,
  medianDecisionSeconds,
} from './figures.repository.ts';

/** One agent's last-24-hours figures, as `/agent status` and the App Home show them. */
export type AgentFigures = {
  agent: string;
  runs: { started: number; finished: number; byOutcome: Record<string, number> };
  decisions: { allow: number; needsApproval: number; deny: number };
  toolCalls: { succeeded: number; failed: number; outcomeUnknown: number; refused: number };
  approvals: { approved: number; rejected: number; expired: number };
  /** Median time from proposal to the person's decision; null when nobody decided. */
  medianDecisionSeconds: number | null;
  breakerTrips: number;
  alerts: number;
  tokens: number;
};

export const FIGURES_WINDOW_MS = 24 * 3_600_000;

/**
 * Per-agent figures for the window ending at `now` (default 24 h), read from the audit trail (the same
 * events the Prometheus counters count) and the proposals. Every agent named appears, even with nothing.
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
  const medians = await medianDecisionSeconds({ db, since, until: now });
  const names = [...new Set([...agents, ...rows.map((r) => r.agent)])].filter(Boolean);
  return names.map((agent) =>
    figuresOf({ agent, rows: rows.filter((r) => r.agent === agent), median: medians.get(agent) ?? null }),
  );
}

/** Folds counted audit rows into one agent's figures (pure). */
export function figuresOf({
  agent,
  rows,
  median,
}: {
  agent: string;
  rows: AuditCountRow[];
  median: number | null;
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
    approvals: {
      approved: of('approval.recorded'),
      rejected: of('approval.rejected'),
      expired: of('proposal.expired'),
    },
    medianDecisionSeconds: median,
    breakerTrips: of('breaker.tripped'),
    alerts: of('alert.raised'),
    tokens: rows.reduce((n, r) => n + r.tokens, 0),
  };
}

/** What the App Home shows: the figures, the kill switches and the latest alerts. */
export async function readHomeFigures({ db, agents, now }: { db: Db; agents: string[]; now: Date }) {
  const since = new Date(now.getTime() - FIGURES_WINDOW_MS);
  return {
    figures: await readAgentFigures({ db, agents, now }),
    killSwitches: await listKillSwitches({ db }),
    recentAlerts: await listRecentAlerts({ db, since, limit: 5 }),
    openBreakers: (await listBreakerStates({ db, now })).filter((b) => b.state !== 'closed'),
    now,
  };
}
