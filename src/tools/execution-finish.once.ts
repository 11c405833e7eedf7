import type { AuditEventInput } from '../audit/audit.types.ts';
import { outcomeRowIds } from '../breakers/breaker.outcomes.ts';
import { resetFailuresStatement } from '../breakers/breaker.rows.ts';
import { createBatch, rowsPart, writePart } from '../db/batch.ts';
import { PipelineStatementError, type RawRow } from '../db/pipeline.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { proposalEventBase } from '../proposals/proposal-events.ts';
import { type ProposalRow, proposalFrom, settleOnceStatement } from '../proposals/proposals.repository.ts';
import type { ToolResult } from './define.ts';
import type { ExecutionOutcome } from './execution.types.ts';
import type { GuardDeps } from './guard.types.ts';

type FinishDeps = Pick<GuardDeps, 'pipelined' | 'clock' | 'audit' | 'broker'>;

/** The `execution.succeeded` event of a call whose row this finish settles. */
export function succeededEvent({
  proposal,
  result,
}: {
  proposal: ProposalRow;
  result: ToolResult;
}): AuditEventInput {
  return {
    ...proposalEventBase(proposal),
    actor: `agent:${proposal.agent}`,
    action: 'execution.succeeded',
    decision: 'allow',
    reasonCode: proposal.reasonCode,
    details: { tool: proposal.tool, summary: result.summary },
  };
}

/**
 * The finish of a call that succeeded and holds no breaker trial (the guard knows when it claimed it), in
 * one round trip: `executing` → `succeeded`, the consecutive-failure counters back to 0, the lease revoked,
 * `execution.succeeded` audited, and COMMIT, sent together. What the two-round-trip finish reads first
 * (the breaker rows) decides nothing here: a success without a trial only resets counters. The settle
 * statement fails unless it settled the row, so if recovery settled it meanwhile nothing commits and this
 * returns null, as it does when any statement failed (nothing committed either): the caller then records
 * the outcome the long way (`finishExecution`), which audits a late result as such.
 */
export async function finishSucceededAtOnce({
  deps,
  proposal,
  charter,
  leaseId,
  result,
}: {
  deps: FinishDeps;
  proposal: ProposalRow;
  charter: Charter;
  leaseId: string | null;
  result: ToolResult;
}): Promise<{ outcome: ExecutionOutcome; leaseReleased: boolean } | null> {
  const now = deps.clock.now();
  const release = leaseId ? deps.broker.prepareRelease({ leaseId }) : null;
  const batch = createBatch();
  const settled = batch.add(
    rowsPart(
      'proposal',
      settleOnceStatement({ id: proposal.id, to: 'succeeded', changes: { result, finishedAt: now } }),
    ),
  );
  const reset = resetFailuresStatement({ agent: proposal.agent, ids: outcomeRowIds(charter), now });
  if (reset) batch.add(writePart('breakers', reset));
  if (release) batch.add(writePart('lease', release.statement));
  const audit = batch.add(deps.audit.prepare(succeededEvent({ proposal, result })));
  let results: RawRow[][];
  try {
    results = await deps.pipelined((tx) => tx.sendAndCommit(batch.statements));
  } catch (error) {
    if (error instanceof PipelineStatementError) return null;
    throw error;
  }
  deps.audit.committed([audit.read(results)]);
  release?.released();
  const [row] = settled.read(results);
  return {
    outcome: { status: 'succeeded', proposal: proposalFrom(row ?? {}), result },
    leaseReleased: !!release,
  };
}
