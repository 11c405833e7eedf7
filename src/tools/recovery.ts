import {
  lockStaleExecutions,
  type ProposalRow,
  transitionProposal,
} from '../approvals/proposals.repository.ts';
import type { GuardDeps } from './guard.types.ts';

/**
 * Executions a crashed instance left in `executing` become `outcome_unknown`: shown to people for
 * reconciliation, never re-run (DESIGN §4.3). At start-up an instance recovers its own rows (same
 * instance id) and anyone's that have run longer than the execution timeout; embedded PGlite is one
 * process, so there every `executing` row is stale.
 */
export async function recoverInterruptedExecutions({
  deps,
  everything = false,
}: {
  deps: Pick<GuardDeps, 'db' | 'clock' | 'audit' | 'instanceId' | 'executionTimeoutMs'>;
  everything?: boolean;
}): Promise<ProposalRow[]> {
  const now = deps.clock.now();
  const startedBefore = everything
    ? new Date(now.getTime() + 1)
    : new Date(now.getTime() - deps.executionTimeoutMs);
  return deps.db.transaction(async (tx) => {
    const stale = await lockStaleExecutions({ tx, instanceId: deps.instanceId, startedBefore });
    const recovered: ProposalRow[] = [];
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
      recovered.push(row);
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
          message:
            'The instance running this stopped before it finished; check the target and reconcile by hand.',
        },
      });
    }
    return recovered;
  });
}
