import type { AuditEventInput } from '../audit/audit.types.ts';
import { outcomeRowIds } from '../breakers/breaker.outcomes.ts';
import { resetFailuresStatement } from '../breakers/breaker.rows.ts';
import { type Member, oneStatementOf } from '../db/one-statement.ts';
import { PipelineStatementError, type RawRow } from '../db/pipeline.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { proposalEventBase } from '../proposals/proposal-events.ts';
import {
  type ProposalRow,
  proposalFrom,
  settleExecutionStatement,
} from '../proposals/proposals.repository.ts';
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
 * The finish of a call that succeeded and holds no breaker trial (the guard knows when it claimed it), as
 * one statement sent alone: `executing` → `succeeded`, the consecutive-failure counters back to 0, the lease
 * revoked and `execution.succeeded` audited, all or nothing (`oneStatementOf`), with no BEGIN or COMMIT.
 * What the two-round-trip finish reads first (the breaker rows) decides nothing here: a success without a
 * trial only resets counters. The statement fails unless it settled the row, so if recovery settled it
 * meanwhile nothing is written and this returns null, as it does when the statement failed for any other
 * reason: the caller then records the outcome the long way (`finishExecution`), which audits a late result
 * as such.
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
  const settle = settleExecutionStatement({
    id: proposal.id,
    to: 'succeeded',
    changes: { result, finishedAt: now },
  });
  const members: Member[] = [{ statement: settle, rows: true }];
  const reset = resetFailuresStatement({ agent: proposal.agent, ids: outcomeRowIds(charter), now });
  if (reset) members.push({ statement: reset, rows: false });
  if (release) members.push({ statement: release.statement, rows: false });
  const audit = deps.audit.prepare(succeededEvent({ proposal, result }));
  const first = members.length;
  for (const statement of audit.statements) members.push({ statement, rows: true });
  const one = oneStatementOf(members, { required: 0 });
  let rows: RawRow[][];
  try {
    const [sent = []] = await deps.pipelined((tx) => tx.sendAndCommit([one.statement]));
    rows = one.split(sent);
  } catch (error) {
    if (error instanceof PipelineStatementError) return null;
    throw error;
  }
  deps.audit.committed([audit.read(rows.slice(first))]);
  release?.released();
  const [row] = rows[0] ?? [];
  return {
    outcome: { status: 'succeeded', proposal: proposalFrom(row ?? {}), result },
    leaseReleased: !!release,
  };
}
