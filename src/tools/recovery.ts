import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import { EXECUTION_REASONS } from '../policy/reasons.ts';
import {
  lockStaleExecutions,
  lockUnstartedApprovals,
  type ProposalRow,
  transitionProposal,
} from '../proposals/proposals.repository.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * How long past the execution timeout an `executing` row must be before a sweep takes it: a live
 * executor aborts itself at the timeout and records its own outcome first, and clocks of instances differ.
 */
export const STALE_GRACE_MS = 5_000;

/**
 * Which `executing` rows a sweep takes: `stale` (started longer than the execution timeout ago, on any
 * instance), `own_and_stale` (at start-up: also every row claimed under this instance id, which nothing
 * here is running any more), or `all` (embedded PGlite at start-up: one process, so nothing is running).
 */
export type RecoveryScope = 'stale' | 'own_and_stale' | 'all';

/** What the execution and approval sweeps work with. */
export type RecoveryDeps = {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  logger: Logger;
  /** This instance: at start-up, rows claimed under this id are its own, left by a crash. */
  instanceId: string;
  /** An execution started longer ago than this (plus a grace) is stale on any instance. */
  executionTimeoutMs: number;
};

/**
 * Executions a crashed instance left in `executing` become `outcome_unknown`, audited: shown to people for
 * reconciliation, never re-run (DESIGN §4.3).
 */
export async function recoverInterruptedExecutions({
  scope,
  ...deps
}: RecoveryDeps & { scope: RecoveryScope }): Promise<ProposalRow[]> {
  const now = deps.clock.now();
  const startedBefore =
    scope === 'all'
      ? new Date(now.getTime() + 1)
      : new Date(now.getTime() - deps.executionTimeoutMs - STALE_GRACE_MS);
  const instanceId = scope === 'own_and_stale' ? deps.instanceId : undefined;
  const recovered = await deps.db.transaction(async (tx) => {
    const stale = await lockStaleExecutions({ tx, instanceId, startedBefore });
    const rows: ProposalRow[] = [];
    for (const proposal of stale) {
      const row = await transitionProposal({
        tx,
        id: proposal.id,
        from: ['executing'],
        to: 'outcome_unknown',
        changes: {
          finishedAt: now,
          stateReason: 'interrupted',
          error: 'Warden stopped while this was running.',
        },
      });
      if (!row) continue;
      rows.push(row);
      await deps.audit.append(tx, {
        actor: 'warden',
        action: 'execution.outcome_unknown',
        agent: proposal.agent,
        environment: proposal.environment,
        decision: 'unknown',
        reasonCode: 'execution.interrupted',
        charterHash: proposal.charterHash,
        runId: proposal.runId,
        incidentId: proposal.incidentId,
        proposalId: proposal.id,
        details: {
          tool: proposal.tool,
          executedBy: proposal.executedBy,
          startedAt: proposal.executionStartedAt?.toISOString() ?? null,
          foundBy: deps.instanceId,
          message:
            'The instance running this stopped before it finished; check the target and reconcile by hand.',
        },
      });
    }
    return rows;
  });
  for (const proposal of recovered) {
    deps.logger.warn(
      { proposalId: proposal.id, tool: proposal.tool, executedBy: proposal.executedBy },
      'execution interrupted; outcome unknown',
    );
  }
  return recovered;
}

/**
 * An approved proposal normally starts within milliseconds of its last approval; one still `approved`
 * after this long could not be started (the database or a check failed at that moment).
 */
export const UNSTARTED_AFTER_MS = 120_000;

/**
 * Approved proposals whose execution never started are cancelled (`execution.not_started`), audited and
 * shown as such on their card: nothing ran, and running them minutes later, when the situation the
 * approvers judged may have changed, would not be what they approved. `everything` (PGlite at start-up:
 * one process, so nothing is starting them) takes every one at once.
 */
export async function cancelUnstartedApprovals({
  everything = false,
  ...deps
}: RecoveryDeps & { everything?: boolean }): Promise<ProposalRow[]> {
  const now = deps.clock.now();
  const approvedBefore = everything
    ? new Date(now.getTime() + 1)
    : new Date(now.getTime() - UNSTARTED_AFTER_MS);
  const cancelled = await deps.db.transaction(async (tx) => {
    const stuck = await lockUnstartedApprovals({ tx, approvedBefore });
    const rows: ProposalRow[] = [];
    for (const proposal of stuck) {
      const row = await transitionProposal({
        tx,
        id: proposal.id,
        from: ['approved'],
        to: 'cancelled',
        changes: { finishedAt: now, stateReason: 'execution.not_started' },
      });
      if (!row) continue;
      rows.push(row);
      await deps.audit.append(tx, {
        actor: 'warden',
        action: 'execution.not_started',
        agent: proposal.agent,
        environment: proposal.environment,
        decision: 'deny',
        reasonCode: 'execution.not_started',
        charterHash: proposal.charterHash,
        runId: proposal.runId,
        incidentId: proposal.incidentId,
        proposalId: proposal.id,
        details: {
          tool: proposal.tool,
          approvedAt: proposal.decidedAt?.toISOString() ?? null,
          foundBy: deps.instanceId,
          message: `${EXECUTION_REASONS['execution.not_started']} Propose it again if it is still needed.`,
        },
      });
    }
    return rows;
  });
  for (const proposal of cancelled) {
    deps.logger.warn(
      { proposalId: proposal.id, tool: proposal.tool },
      'approved action never started; cancelled',
    );
  }
  return cancelled;
}
