import type { AuditEventInput } from '../audit/audit.types.ts';
import { type BreakerTrip, planExecutionOutcome } from '../breakers/breaker.evaluate.ts';
import { deleteRowHitsStatement, hitRowsFrom, rowsHitByStatement } from '../breakers/breaker.hits.ts';
import { outcomeRowIds } from '../breakers/breaker.outcomes.ts';
import { lockedRowsPart, saveRowStatement } from '../breakers/breaker.rows.ts';
import { createBatch, rowsPart, writePart } from '../db/batch.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import {
  getProposal,
  type ProposalRow,
  proposalFrom,
  settleExecutionStatement,
} from '../proposals/proposals.repository.ts';
import type { ToolResult } from './define.ts';
import type { ExecutionOutcome } from './execution.types.ts';
import { finishSucceededAtOnce } from './execution-finish.once.ts';
import type { GuardDeps } from './guard.types.ts';

/** What recording an outcome works with. */
type FinishDeps = Pick<GuardDeps, 'db' | 'pipelined' | 'clock' | 'audit' | 'broker'>;

/** How a claimed execution ended, as the executor saw it. */
export type FinishInput = { proposal: ProposalRow; charter: Charter; leaseId: string | null } & (
  | {
      ok: true;
      result: ToolResult;
      /** The call is known to hold no breaker trial (the guard's allow path knows): one round trip. */
      holdsNoTrial?: boolean;
    }
  | { ok: false; reasonCode: string; message: string; unknown?: boolean; refused?: boolean }
);

/**
 * Records how an execution ended, in one pipelined transaction: `executing` → succeeded / failed /
 * outcome_unknown, the breaker counters (a failure counts, a trial closes or re-opens its breaker), the
 * audit events, and the credential lease revoked. If the row is no longer `executing` (crash recovery
 * settled it meanwhile), its state and the breakers stay as they are and the result is audited, marked
 * `rowAlreadySettled`, for people reconciling it.
 * Returns the outcome and whether the lease was revoked here.
 */
export async function finishExecution({
  deps,
  ...input
}: FinishInput & { deps: FinishDeps }): Promise<{ outcome: ExecutionOutcome; leaseReleased: boolean }> {
  const { proposal, charter } = input;
  if (input.ok && input.holdsNoTrial) {
    const { leaseId, result } = input;
    const once = await finishSucceededAtOnce({ deps, proposal, charter, leaseId, result });
    if (once) return once;
  }
  const now = deps.clock.now();
  const to = input.ok ? 'succeeded' : input.unknown ? 'outcome_unknown' : 'failed';
  const agent = proposal.agent;
  const release = input.leaseId ? deps.broker.prepareRelease({ leaseId: input.leaseId }) : null;
  const recorded = await deps.pipelined(async (tx) => {
    const reads = createBatch();
    const settledRows = reads.add(
      rowsPart(
        'proposal',
        settleExecutionStatement({
          id: proposal.id,
          to,
          changes: input.ok
            ? { result: input.result, finishedAt: now }
            : { error: input.message, stateReason: input.reasonCode, finishedAt: now },
        }),
      ),
    );
    const locked = reads.add(lockedRowsPart({ agent, ids: outcomeRowIds(charter), alsoTrials: true, now }));
    const hitRows = reads.add(rowsPart('breakers', rowsHitByStatement({ agent, proposalId: proposal.id })));
    const read = await tx.send(reads.statements);
    const [settledRow] = settledRows.read(read);
    const settled = settledRow ? proposalFrom(settledRow) : null;
    const common = {
      agent,
      environment: proposal.environment,
      charterHash: proposal.charterHash,
      runId: proposal.runId,
      incidentId: proposal.incidentId,
      proposalId: proposal.id,
    };
    const result = input.ok
      ? { tool: proposal.tool, summary: input.result.summary }
      : { tool: proposal.tool, error: input.message };
    const writes = createBatch();
    const events: AuditEventInput[] = [];
    let tripped: BreakerTrip[] = [];
    events.push({
      ...common,
      actor: `agent:${agent}`,
      action: `execution.${to}`,
      decision: input.ok ? 'allow' : 'deny',
      reasonCode: input.ok ? proposal.reasonCode : input.reasonCode,
      // A result reported after the row was settled elsewhere changes neither the row nor the breakers.
      details: settled ? result : { ...result, rowAlreadySettled: true },
    });
    if (settled) {
      const rows = locked.read(read);
      const hitByThis = hitRowsFrom(hitRows.read(read));
      const refused = !input.ok && input.refused === true;
      const plan = planExecutionOutcome({
        charter,
        rows,
        hitByThis,
        ok: input.ok,
        refused,
        ...toolOf(proposal),
        now,
      });
      tripped = plan.tripped;
      for (const row of plan.saves) writes.add(writePart('breakers', saveRowStatement({ row })));
      for (const hit of plan.clearHits)
        writes.add(writePart('breakers', deleteRowHitsStatement({ agent, ...hit })));
      for (const trip of plan.tripped) events.push(tripEvent({ common, trip }));
    }
    if (release) writes.add(writePart('lease', release.statement));
    const audits = events.map((event) => writes.add(deps.audit.prepare(event)));
    const results = await tx.sendAndCommit(writes.statements);
    const appended = audits.map((slot) => slot.read(results));
    return { settled, appended, tripped };
  });
  deps.audit.committed(recorded.appended);
  release?.released();
  return {
    outcome: await outcomeOf({ deps, input, to, settled: recorded.settled }),
    leaseReleased: !!release,
  };
}

const toolOf = (proposal: ProposalRow) => ({ tool: proposal.tool, environment: proposal.environment });

function tripEvent({
  common,
  trip,
}: {
  common: Omit<AuditEventInput, 'actor' | 'action'>;
  trip: BreakerTrip;
}) {
  return {
    ...common,
    actor: 'warden',
    action: 'breaker.tripped',
    decision: 'deny',
    reasonCode: 'breaker_open',
    details: { breaker: trip.breaker, key: trip.key, reason: trip.reason, until: trip.until.toISOString() },
  };
}

/**
 * What this process saw. When the row had already been settled elsewhere it is reported as it stands now
 * (its state unchanged), with what the tool did here.
 */
async function outcomeOf({
  deps,
  input,
  to,
  settled,
}: {
  deps: Pick<GuardDeps, 'db'>;
  input: FinishInput;
  to: 'succeeded' | 'failed' | 'outcome_unknown';
  settled: ProposalRow | null;
}): Promise<ExecutionOutcome> {
  const row = settled ?? (await getProposal({ db: deps.db, id: input.proposal.id })) ?? input.proposal;
  if (input.ok) return { status: 'succeeded', proposal: row, result: input.result };
  const status = to as 'failed' | 'outcome_unknown';
  return { status, proposal: row, reasonCode: input.reasonCode, message: input.message };
}
