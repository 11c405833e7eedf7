import type { AuditEventInput } from '../audit/audit.types.ts';
import {
  agentPauseRow,
  breakersStoppingRun,
  type RunStop,
  runStopOf,
  stopScope,
} from '../breakers/breaker.denials.ts';
import {
  type BreakerEvaluation,
  type BreakerReservation,
  type BreakerTrip,
  tripOf,
} from '../breakers/breaker.evaluate.ts';
import { insertHitsStatement, keysFrom, keysSinceStatement } from '../breakers/breaker.hits.ts';
import { lockedRowsPart, saveRowStatement } from '../breakers/breaker.rows.ts';
import { AGENT_KEY, type BreakerRow, startTrialRow } from '../breakers/breaker.state.ts';
import { createBatch, rowsPart } from '../db/batch.ts';
import type { PipelineTx } from '../db/pipeline.ts';
import type { Statement } from '../db/prepared.ts';
import { SharedTransactionAborted } from '../db/shared-pipeline.ts';
import { pauseAgentOf } from '../policy/breaker-scope.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import type { Decision } from '../policy/decide.ts';
import type { NewProposal } from '../proposals/proposals.repository.ts';
import type { RunRow } from '../runs/runs.repository.ts';
import { wardenError } from '../shared/errors.ts';
import { actionHash } from '../shared/hash.ts';
import type { Redactor } from '../shared/redact.ts';
import { cleanJson, cleanText } from '../shared/storable.ts';
import { stateFor } from './guard.decision.ts';
import type { ProposeInput } from './guard.types.ts';

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

/** What a denial that stops its run changes: the stop itself, maybe the agent-wide pause, and their writes. */
export type DenialOutcome = {
  runStop: RunStop;
  /** The agent-wide row this stop tripped (runs stopped on enough incidents), with its trip. */
  agentPause: { row: BreakerRow; trip: BreakerTrip } | null;
  writes: Statement[];
};

/**
 * A denial that takes the run to a denied-requests breaker's threshold stops the run (`breaker.denials.ts`):
 * the stop is counted under the run's incident, and the agent-wide row is locked with the incidents whose
 * runs were stopped in the window read after the lock (one more round trip, only then). The agent pauses
 * only when runs on enough different incidents were stopped.
 */
export async function stopRunOnDenial({
  tx,
  charter,
  run,
  proposalId,
  now,
}: {
  tx: PipelineTx;
  charter: Charter;
  run: RunRow;
  proposalId: string;
  now: Date;
}): Promise<DenialOutcome | null> {
  const deniedInRun = run.deniedCount + 1;
  const stopping = breakersStoppingRun({ charter, deniedInRun });
  const first = stopping[0];
  if (!first) return null;
  // Stopping a run counts the agent's stopped runs: alone, so that a stop committed in the same shared
  // transaction is counted too (runs of one agent share transactions while their denials stop nothing).
  if (tx.shared) throw new SharedTransactionAborted();
  const agent = charter.agent;
  const scope = stopScope({ runId: run.id, incidentId: run.incidentId });
  const batch = createBatch();
  const ids = stopping.map((b) => ({ breaker: b.name, key: AGENT_KEY }));
  const locked = batch.add(lockedRowsPart({ agent, ids, now }));
  const counted = stopping.map((spec) => {
    const since = new Date(now.getTime() - pauseAgentOf(spec).within);
    return batch.add(rowsPart('breakers', keysSinceStatement({ agent, breaker: spec.name, since })));
  });
  const results = await tx.send(batch.statements);
  const rows = locked.read(results);
  let agentPause: DenialOutcome['agentPause'] = null;
  for (const [i, spec] of stopping.entries()) {
    const row = rows.find((r) => r.breaker === spec.name);
    if (!row || agentPause) continue;
    const scopes = [...new Set([...keysFrom(counted[i]!.read(results)), scope])];
    const tripped = agentPauseRow({ spec, row, scopes, runId: run.id, now });
    if (tripped) agentPause = { row: tripped, trip: tripOf({ row: tripped, spec }) };
  }
  const hits = insertHitsStatement({
    agent,
    ids: stopping.map((b) => ({ breaker: b.name, key: scope })),
    proposalId,
    now,
  });
  return {
    runStop: runStopOf({ spec: first, runId: run.id, incidentId: run.incidentId, deniedInRun }),
    agentPause,
    writes: [...(hits ? [hits] : []), ...(agentPause ? [saveRowStatement({ row: agentPause.row })] : [])],
  };
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

/** The proposal row a decision records: decided now, claimed by this instance when it runs at once. */
export function proposalOf({
  id,
  charter,
  input,
  toolName,
  args,
  environment,
  decision,
  run,
  redactor,
  instanceId,
  now,
}: {
  id: string;
  charter: Charter;
  input: ProposeInput;
  toolName: string;
  args: Record<string, unknown>;
  environment: string;
  decision: Decision;
  run: RunRow | null;
  redactor: Redactor;
  instanceId: string;
  now: Date;
}): NewProposal {
  const pending = decision.decision === 'needs_approval';
  return {
    id,
    runId: input.runId ?? null,
    agent: charter.agent,
    tool: toolName,
    args,
    environment,
    charterHash: charter.hash,
    actionHash: actionHash({ tool: toolName, args, environment, charterHash: charter.hash }),
    state: stateFor(decision),
    decision: decision.decision,
    reasonCode: decision.reasonCode,
    reason: decision.message,
    rule: decision.rule ?? null,
    approvalsRequired: decision.approval?.count ?? 0,
    approvalSpec: decision.approval ?? null,
    requester: input.requester,
    incidentId: input.incidentId ?? run?.incidentId ?? null,
    source: input.source,
    rationale: input.rationale === undefined ? null : cleanText(redactor.redactText(input.rationale)),
    evidence: input.evidence === undefined ? null : cleanJson(redactor.redactValue(input.evidence)),
    tainted: input.tainted === true,
    idempotencyKey: `idem_${id}`,
    createdAt: now,
    expiresAt: pending ? new Date(now.getTime() + charter.approval_ttl) : null,
    decidedAt: pending ? null : now,
    ...(decision.decision === 'allow' ? { executionStartedAt: now, executedBy: instanceId } : {}),
  };
}

/** The audit events of one decision: decided, any breaker trips, and the claim when it runs at once. */
export function auditEventsOf({
  instanceId,
  charter,
  proposal,
  decision,
  trips,
  runStop = null,
}: {
  /** This instance, which claims an allowed call. */
  instanceId: string;
  charter: Charter;
  proposal: NewProposal;
  decision: Decision;
  trips: BreakerTrip[];
  /** The run this denial stopped, if it did. */
  runStop?: RunStop | null;
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
        ...(proposal.tainted ? { tainted: true } : {}),
      },
    },
  ];
  const tripped = (details: Record<string, unknown>): AuditEventInput => ({
    ...common,
    actor: 'warden',
    action: 'breaker.tripped',
    decision: 'deny',
    reasonCode: 'breaker_open',
    details,
  });
  if (runStop) {
    const { breaker, runId, reason } = runStop;
    const key = `run:${runId}`;
    events.push(tripped({ breaker, key, kind: 'denied_requests', scope: 'run', reason, until: null }));
  }
  for (const { breaker, key, kind, reason, until } of trips) {
    events.push(tripped({ breaker, key, kind, scope: 'agent', reason, until: until.toISOString() }));
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
