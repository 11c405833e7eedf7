import type { AuditEventInput } from '../../audit/audit.types.ts';
import { cancelWaitingProposals } from '../../proposals/proposals.cancel.ts';
import { listRunProposals } from '../../proposals/proposals.repository.ts';
import {
  addToRunCounters,
  finishRun,
  lockRun,
  type RunRow,
  recordEndedRunSummary,
} from '../../runs/runs.repository.ts';
import type { RunContext, RunnerDeps, RunOutcome } from './run.types.ts';

type RunEvent = Omit<AuditEventInput, 'actor' | 'agent' | 'charterHash' | 'runId' | 'incidentId'>;

function eventFor(run: RunContext, event: RunEvent): AuditEventInput {
  return {
    actor: `agent:${run.agent}`,
    agent: run.agent,
    charterHash: run.charter.hash,
    runId: run.runId,
    incidentId: run.incidentId,
    ...event,
  };
}

/** Appends one run event in a transaction of its own (skipped items, truncation). */
export async function auditRunEvent({
  deps,
  run,
  event,
}: {
  deps: RunnerDeps;
  run: RunContext;
  event: RunEvent;
}): Promise<void> {
  await deps.audit.appendNow(deps.db, eventFor(run, event));
}

/** Counts a planner step's tokens and audits the step, together. Returns the run as it now stands. */
export async function recordStep({
  deps,
  run,
  step,
  tokens,
  details,
}: {
  deps: RunnerDeps;
  run: RunContext;
  step: number;
  tokens: number;
  details: Record<string, unknown>;
}): Promise<RunRow | null> {
  return deps.db.transaction(async (tx) => {
    const row = await addToRunCounters({ tx, id: run.runId, tokens });
    await deps.audit.append(
      tx,
      eventFor(run, {
        action: 'run.step',
        environment: row?.environment ?? null,
        details: { step, tokens, tokensUsed: row?.tokensUsed ?? null, ...details },
      }),
    );
    return row;
  });
}

export type RunEnd = {
  state: RunOutcome['state'];
  error: string | null;
  summary: string;
  counts: Record<string, unknown>;
};

/**
 * Ends the run and audits `run.finished` in one transaction. A run the kill switch already stopped keeps
 * its `killed` state (and its error); only the summary is added, so the event tells what really happened.
 * A run recovery already ended (its instance looked dead) keeps that record; this late end is audited as
 * `run.ended_late` and changes nothing. A run its denied-requests breaker stopped misbehaved: what it
 * proposed that still waits (pending or approved, not yet running) is cancelled with it, so no approval
 * can start it later.
 */
export async function endRun({
  deps,
  run,
  end,
}: {
  deps: RunnerDeps;
  run: RunContext;
  end: RunEnd;
}): Promise<RunRow> {
  const now = deps.clock.now();
  const summary = deps.redactor.redactText(end.summary);
  const error = end.error === null ? null : deps.redactor.redactText(end.error);
  return deps.db.transaction(async (tx) => {
    const current = await lockRun({ tx, id: run.runId });
    if (current && current.state !== 'running' && current.state !== 'killed') {
      // Recovery ended it (its instance looked dead) and audited run.finished: that record stands.
      await deps.audit.append(
        tx,
        eventFor(run, {
          action: 'run.ended_late',
          environment: current.environment,
          reasonCode: 'run.already_ended',
          details: { recordedState: current.state, state: end.state, error, summary },
        }),
      );
      return current;
    }
    const row =
      current?.state === 'running'
        ? await finishRun({ tx, id: run.runId, state: end.state, now, summary, error: error ?? undefined })
        : await recordEndedRunSummary({ tx, id: run.runId, summary });
    if (!row) throw new Error(`run ${run.runId} vanished before it could be finished`);
    const cancelledProposals =
      row.state === 'stopped'
        ? await cancelWaitingProposals({
            tx,
            ids: (await listRunProposals({ db: tx, runId: run.runId })).map((p) => p.id),
            stateReason: 'run_stopped',
            now,
          })
        : [];
    await deps.audit.append(
      tx,
      eventFor(run, {
        action: 'run.finished',
        environment: row.environment,
        reasonCode: row.state,
        details: {
          state: row.state,
          error: row.error,
          summary,
          ...end.counts,
          toolCalls: row.toolCalls,
          tokens: row.tokensUsed,
          denied: row.deniedCount,
          ...(cancelledProposals.length > 0 ? { cancelledProposals } : {}),
        },
      }),
    );
    return row;
  });
}
