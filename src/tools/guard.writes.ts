import type { AuditEventInput } from '../audit/audit.types.ts';
import {
  type BreakerEvaluation,
  type BreakerReservation,
  crossedDeniedBreakers,
  tripDeniedRequests,
} from '../breakers/breaker.evaluate.ts';
import { insertHitsStatement } from '../breakers/breaker.hits.ts';
import type { BreakerTrip } from '../breakers/breaker.outcomes.ts';
import { lockedRowsPart, saveRowStatement } from '../breakers/breaker.rows.ts';
import { AGENT_KEY, type BreakerRow, startTrialRow } from '../breakers/breaker.state.ts';
import type { PipelineTx } from '../db/pipeline.ts';
import type { Statement } from '../db/prepared.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import type { Decision } from '../policy/decide.ts';
import type { NewProposal } from '../proposals/proposals.repository.ts';
import type { RunRow } from '../runs/runs.repository.ts';
import { wardenError } from '../shared/errors.ts';

// The guard's writes around a decision: what a denial trips, what an allowed call reserves, which audit
// events a decision makes, and how a failed write is reported. Used by guard.ts.

/** Why the decision could not be recorded; nothing was committed, so nothing runs. */
export function recordFailure({
  error,
  failedPart,
  decision,
}: {
  error: unknown;
  /** The part of the write batch whose statement failed (`Batch.failedPart`), if one did. */
  failedPart: string | null;
  decision: Decision;
}) {
  const audit = failedPart === 'audit';
  return wardenError({
    code: audit ? 'audit.write_failed' : 'guard.record_failed',
    message: audit
      ? 'The audit events of this decision could not be written, so the step they record must not happen.'
      : 'The decision could not be recorded, so nothing was run.',
    details: { decision: decision.decision, reasonCode: decision.reasonCode },
    cause: error,
  });
}

/**
 * A denial that takes the run to a denied-requests breaker's threshold trips it: its rows are locked (one
 * more round trip, only then) and the first closed one trips.
 */
export async function tripOnDenial({
  tx,
  charter,
  run,
  now,
}: {
  tx: PipelineTx;
  charter: Charter;
  run: RunRow;
  now: Date;
}): Promise<{ row: BreakerRow; trip: BreakerTrip } | null> {
  const deniedInRun = run.deniedCount + 1;
  const crossed = crossedDeniedBreakers({ charter, deniedInRun });
  if (crossed.length === 0) return null;
  const ids = crossed.map((b) => ({ breaker: b.name, key: AGENT_KEY }));
  const locked = lockedRowsPart({ agent: charter.agent, ids, now });
  const rows = locked.read(await tx.send(locked.statements));
  return tripDeniedRequests({ charter, rows, runId: run.id, deniedInRun, now });
}

/** An allowed call's breaker reservations: one hit per counted row, and the trial of half-open rows. */
export function reservationWrites({
  breakers,
  rows,
  proposalId,
  now,
}: {
  breakers: BreakerEvaluation;
  rows: BreakerRow[] | undefined;
  proposalId: string;
  now: Date;
}): Statement[] {
  const { reservations } = breakers;
  const writes: Statement[] = [];
  const hits = insertHitsStatement({
    agent: reservations[0]?.agent ?? '',
    ids: reservations,
    proposalId,
    now,
  });
  if (hits) writes.push(hits);
  for (const reservation of reservations.filter((r: BreakerReservation) => r.trial)) {
    const row = rows?.find((r) => r.breaker === reservation.breaker && r.key === reservation.key);
    if (!row) throw new Error(`the half-open breaker ${reservation.breaker} was not locked`);
    writes.push(saveRowStatement({ row: startTrialRow({ row, now }) }));
  }
  return writes;
}

/** The audit events of one decision: decided, any breaker trips, and the claim when it runs at once. */
export function auditEventsOf({
  instanceId,
  charter,
  proposal,
  decision,
  trips,
}: {
  /** This instance, which claims an allowed call. */
  instanceId: string;
  charter: Charter;
  proposal: NewProposal;
  decision: Decision;
  trips: BreakerTrip[];
}): AuditEventInput[] {
  const common = {
    agent: charter.agent,
    environment: proposal.environment,
    charterHash: charter.hash,
    runId: proposal.runId ?? null,
    incidentId: proposal.incidentId ?? null,
    proposalId: proposal.id,
  };
  const events: AuditEventInput[] = [
    {
      ...common,
      actor: `agent:${charter.agent}`,
      action: 'proposal.decided',
      decision: decision.decision,
      reasonCode: decision.reasonCode,
      details: {
        tool: proposal.tool,
        args: proposal.args,
        source: proposal.source,
        requester: proposal.requester,
        rule: decision.rule ?? null,
        message: decision.message,
        approvalsRequired: decision.approval?.count ?? 0,
        approvalGroups: decision.approval?.from ?? [],
      },
    },
  ];
  for (const trip of trips) {
    events.push({
      ...common,
      actor: 'warden',
      action: 'breaker.tripped',
      decision: 'deny',
      reasonCode: 'breaker_open',
      details: {
        breaker: trip.breaker,
        key: trip.key,
        kind: trip.kind,
        reason: trip.reason,
        until: trip.until.toISOString(),
      },
    });
  }
  if (decision.decision === 'allow') {
    events.push({
      ...common,
      actor: 'policy',
      action: 'execution.started',
      decision: 'allow',
      reasonCode: decision.reasonCode,
      details: { tool: proposal.tool, idempotencyKey: proposal.idempotencyKey, instance: instanceId },
    });
  }
  return events;
}
