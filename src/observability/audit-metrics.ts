import type { AuditEvent } from '../audit/audit.types.ts';
import type { Db } from '../db/client.ts';
import { getProposal, listApprovals } from '../proposals/proposals.repository.ts';
import type { FedEvent } from './audit-feed.ts';
import type { WardenMetrics } from './metrics.ts';

/** Executions whose start is remembered for their latency; more in flight than this is a leak, not load. */
const MAX_TRACKED_EXECUTIONS = 10_000;

const EXECUTION_RESULTS: Record<string, string> = {
  'execution.succeeded': 'succeeded',
  'execution.failed': 'failed',
  'execution.outcome_unknown': 'outcome_unknown',
  'execution.refused': 'refused',
};

/**
 * Counts what the audit stream says happened: every run, decision, tool call, approval, breaker trip, kill
 * and alert is already an audit event, so the metrics can never disagree with the trail. Execution latency
 * is real time between the claim and the outcome on this instance (both are appended here).
 */
export function createAuditMetrics({ db, metrics }: { db: Db; metrics: WardenMetrics }) {
  const startedAt = new Map<string, number>();

  async function record({ event, appendedAtMs }: FedEvent): Promise<void> {
    const agent = event.agent ?? 'none';
    const tool = detail(event, 'tool');
    const result = EXECUTION_RESULTS[event.action];
    if (result) {
      metrics.toolCalls.inc({ agent, tool, environment: event.environment ?? 'none', result });
      observeLatency({ event, tool, result, appendedAtMs });
      return;
    }
    switch (event.action) {
      case 'run.started':
        metrics.runsStarted.inc({ agent });
        return;
      case 'run.finished':
        metrics.runsFinished.inc({ agent, outcome: event.reasonCode ?? detail(event, 'state') });
        return;
      case 'run.step': {
        const tokens = event.details.tokens;
        if (typeof tokens === 'number' && tokens > 0) metrics.modelTokens.inc({ agent }, tokens);
        return;
      }
      case 'proposal.decided':
        metrics.decisions.inc({
          agent,
          decision: event.decision ?? 'none',
          reason: event.reasonCode ?? 'none',
        });
        return;
      case 'execution.started':
        if (event.proposalId) track(event.proposalId, appendedAtMs);
        return;
      case 'approval.recorded':
        metrics.approvalDecisions.inc({ agent, decision: 'approve' });
        if (event.reasonCode === 'approval.satisfied')
          metrics.proposalsDecided.inc({ agent, outcome: 'approved' });
        await observeFirstDecision({ event, agent, outcome: 'approved' });
        return;
      case 'approval.rejected':
        metrics.approvalDecisions.inc({ agent, decision: 'reject' });
        metrics.proposalsDecided.inc({ agent, outcome: 'rejected' });
        await observeFirstDecision({ event, agent, outcome: 'rejected' });
        return;
      case 'approval.refused':
        metrics.approvalRefusals.inc({ agent, reason: event.reasonCode ?? 'none' });
        return;
      case 'proposal.expired':
        metrics.proposalsExpired.inc({ agent });
        return;
      case 'breaker.tripped':
        metrics.breakerTrips.inc({ agent, breaker: detail(event, 'breaker') });
        return;
      case 'kill.engaged':
        metrics.killSwitchEngaged.inc({ scope: detail(event, 'scope') });
        return;
      case 'alert.raised':
        metrics.alertsRaised.inc({ agent, rule: detail(event, 'rule') });
        return;
    }
  }

  function track(proposalId: string, atMs: number): void {
    if (startedAt.size >= MAX_TRACKED_EXECUTIONS) {
      const oldest = startedAt.keys().next().value;
      if (oldest !== undefined) startedAt.delete(oldest);
    }
    startedAt.set(proposalId, atMs);
  }

  function observeLatency(input: { event: AuditEvent; tool: string; result: string; appendedAtMs: number }) {
    const { event, tool, result, appendedAtMs } = input;
    const started = event.proposalId ? startedAt.get(event.proposalId) : undefined;
    if (started === undefined || !event.proposalId) return;
    startedAt.delete(event.proposalId);
    metrics.executionSeconds.observe({ tool, result }, Math.max(0, appendedAtMs - started) / 1000);
  }

  /**
   * Time to decide (`TimeToDecide`): from the proposal to the first human decision on it, observed once,
   * on that first decision's event, with the times Warden stored (the same as `/agent status` reads).
   */
  async function observeFirstDecision({
    event,
    agent,
    outcome,
  }: {
    event: AuditEvent;
    agent: string;
    outcome: string;
  }) {
    if (!event.proposalId) return;
    const [first] = await listApprovals({ db, proposalId: event.proposalId });
    if (!first || first.approver !== event.actor) return;
    const proposal = await getProposal({ db, id: event.proposalId });
    if (!proposal) return;
    const seconds = Math.max(0, first.createdAt.getTime() - proposal.createdAt.getTime()) / 1000;
    metrics.approvalWait.observe({ agent, outcome }, seconds);
  }

  return { record };
}

function detail(event: AuditEvent, key: string): string {
  const value = event.details[key];
  return typeof value === 'string' && value.length > 0 ? value : 'none';
}
