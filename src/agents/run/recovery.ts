import type { AuditLog } from '../../audit/audit.repository.ts';
import type { InFlightRegistry } from '../../breakers/in-flight.ts';
import type { Db } from '../../db/client.ts';
import type { CharterSet } from '../../policy/charter-set.ts';
import { listRunProposals } from '../../proposals/proposals.repository.ts';
import { type DeadRunCutoff, finishRun, lockDeadRuns, type RunRow } from '../../runs/runs.repository.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { RecoveryScope } from '../../tools/recovery.ts';
import { buildInterruptedRunSummary } from './recovery.summary.ts';
import { durationText } from './run.limits.ts';

/**
 * How long past its wall time plus one execution timeout a run must still be `running` before a sweep
 * ends it. A live runner stops itself at its wall time and records that first; the one thing it may
 * still be waiting for then is a tool call already in flight (bounded by the execution timeout), and
 * recording the end takes a few statements. The grace also covers clocks of instances that differ.
 */
export const RUN_STALE_GRACE_MS = 60_000;

/** The wall time assumed for a run whose agent has no charter loaded here (it may have been removed). */
export const UNKNOWN_AGENT_WALL_TIME_MS = 3_600_000;

/** How a dead run was known to be dead. */
type Finding = 'stale' | 'own_restart' | 'restart';

/**
 * Runs whose instance stopped before they ended (DESIGN §7) end `failed`, with an error and a summary
 * that say so and a `run.finished` event (`run.interrupted`): `/agent status` stops showing them, their
 * thread hears how they ended, and metrics count them as finished. Their pending proposals stay pending
 * (people may still decide on them); nothing is re-run. `scope` is the one of execution recovery:
 * `stale` runs (past their wall time and the grace, any instance), at start-up also this instance's own
 * (`own_and_stale`), or every running run (`all`: embedded PGlite at start-up, one process).
 */
export async function recoverInterruptedRuns({
  db,
  clock,
  audit,
  logger,
  charters,
  redactor,
  instanceId,
  executionTimeoutMs,
  inFlight,
  scope,
}: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  logger: Logger;
  charters: CharterSet;
  redactor: Redactor;
  /** This instance: ends its own runs at start-up (`own_and_stale`) and is recorded as their finder. */
  instanceId: string;
  /** The guard's execution timeout: a run's last tool call may outlive its wall time by that much. */
  executionTimeoutMs: number;
  /** Runs going on in this process are alive, however old: never taken. */
  inFlight: Pick<InFlightRegistry, 'listRuns'>;
  scope: RecoveryScope;
}): Promise<RunRow[]> {
  const now = clock.now();
  const staleBefore = (wallTimeMs: number) =>
    new Date(now.getTime() - wallTimeMs - executionTimeoutMs - RUN_STALE_GRACE_MS);
  const everything = new Date(now.getTime() + 1);
  const cutoffs: DeadRunCutoff[] =
    scope === 'all'
      ? []
      : charters.list().map((c) => ({ agent: c.agent, startedBefore: staleBefore(c.budgets.wall_time) }));
  const otherAgents = scope === 'all' ? everything : staleBefore(unknownAgentWallTime({ charters }));
  const alive = new Set(inFlight.listRuns().map((r) => r.runId));

  const ended = await db.transaction(async (tx) => {
    const dead = await lockDeadRuns({
      tx,
      cutoffs,
      otherAgents,
      instanceId: scope === 'own_and_stale' ? instanceId : undefined,
    });
    const rows: RunRow[] = [];
    for (const run of dead) {
      if (alive.has(run.id)) continue;
      const wallTimeMs = wallTimeOf({ charters, agent: run.agent });
      const finding: Finding =
        run.startedAt <= staleBefore(wallTimeMs)
          ? 'stale'
          : run.runBy === instanceId
            ? 'own_restart'
            : 'restart';
      const error = interruptedError({ run, finding, now, wallTimeMs, foundBy: instanceId });
      const proposals = await listRunProposals({ db: tx, runId: run.id });
      const summary = redactor.redactText(buildInterruptedRunSummary({ run, error, proposals }));
      const row = await finishRun({ tx, id: run.id, state: 'failed', now, summary, error });
      if (!row) continue;
      rows.push(row);
      await audit.append(tx, {
        actor: 'warden',
        action: 'run.finished',
        agent: run.agent,
        charterHash: run.charterHash,
        runId: run.id,
        incidentId: run.incidentId,
        environment: run.environment,
        reasonCode: 'run.interrupted',
        details: {
          state: row.state,
          error,
          summary,
          runBy: run.runBy,
          foundBy: instanceId,
          finding,
          startedAt: run.startedAt.toISOString(),
          wallTimeMs,
          proposalIds: proposals.map((p) => p.id),
          pendingProposalIds: proposals.filter((p) => p.state === 'pending').map((p) => p.id),
          toolCalls: row.toolCalls,
          tokens: row.tokensUsed,
          denied: row.deniedCount,
        },
      });
    }
    return rows;
  });
  for (const run of ended) {
    logger.warn(
      { runId: run.id, agent: run.agent, runBy: run.runBy },
      'run interrupted; its instance stopped, ended as failed',
    );
  }
  return ended;
}

function wallTimeOf({ charters, agent }: { charters: CharterSet; agent: string }): number {
  return charters.get(agent)?.budgets.wall_time ?? unknownAgentWallTime({ charters });
}

/** At least an hour, and never shorter than any loaded charter's wall time. */
function unknownAgentWallTime({ charters }: { charters: CharterSet }): number {
  return Math.max(UNKNOWN_AGENT_WALL_TIME_MS, ...charters.list().map((c) => c.budgets.wall_time));
}

function interruptedError({
  run,
  finding,
  now,
  wallTimeMs,
  foundBy,
}: {
  run: RunRow;
  finding: Finding;
  now: Date;
  wallTimeMs: number;
  foundBy: string;
}): string {
  const instance = `The Warden instance running it${run.runBy ? ` (${run.runBy})` : ''} stopped`;
  switch (finding) {
    case 'stale': {
      const age = ageText(now.getTime() - run.startedAt.getTime());
      return `${instance}; the run was still open ${age} after it started, past its ${durationText(wallTimeMs)} of wall time, so ${foundBy} ended it.`;
    }
    case 'own_restart':
      return `${instance}; it restarted and ended the run.`;
    case 'restart':
      return `${instance}; Warden restarted as ${foundBy} and ended the run.`;
  }
}

function ageText(ms: number): string {
  return ms >= 120_000 ? `${Math.floor(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
