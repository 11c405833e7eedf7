import { recoverInterruptedRuns } from '../agents/run/recovery.ts';
import { watchKillSwitch } from '../breakers/kill-switch.ts';
import type { Database, Unlisten } from '../db/client.ts';
import type { ProposalRow } from '../proposals/proposals.repository.ts';
import { cancelUnstartedApprovals, recoverInterruptedExecutions } from '../tools/recovery.ts';

/** Settles executions recovery marked `outcome_unknown` by asking their tools (the executor's). */
type VerifyRecovered = (rows: ProposalRow[]) => Promise<void>;

/** What the three sweeps work with together (the runs' sweep needs the most). */
type RecoveryDeps = Omit<Parameters<typeof recoverInterruptedRuns>[0], 'scope'>;

// Recovery composes two layers' sweeps (the tools' executions and approvals, the agents' runs) in the one
// order that makes each report right; the composition root owns that order, not either layer.

/**
 * At start-up: listen for kill switch changes, then settle what a crash of this instance left behind —
 * executions first, so an interrupted run's summary tells how its last tool call ended, then runs, then
 * approvals that never started. On PGlite (one process) that is everything; on Postgres this instance's
 * own rows and other instances' stale ones. If a step fails, the kill switch listener is stopped again.
 */
export async function recoverAtStartup({
  deps,
  database,
  inFlight,
  verifyRecovered,
}: {
  deps: RecoveryDeps;
  database: Database;
  inFlight: Parameters<typeof watchKillSwitch>[0]['inFlight'];
  /** Asks the tools whether the interrupted executions took effect; runs in the background. */
  verifyRecovered?: VerifyRecovered;
}) {
  const unwatch: Unlisten = await watchKillSwitch({ database, inFlight, logger: deps.logger });
  try {
    const scope = database.kind === 'pglite' ? 'all' : 'own_and_stale';
    const executions = await recoverInterruptedExecutions({ ...deps, scope });
    if (verifyRecovered && executions.length > 0)
      void verifyRecovered(executions).catch((error: unknown) =>
        deps.logger.warn({ err: error }, 'could not verify the interrupted executions'),
      );
    const runs = await recoverInterruptedRuns({ ...deps, scope });
    await cancelUnstartedApprovals({ ...deps, everything: database.kind === 'pglite' });
    return { executions, runs, unwatch };
  } catch (error) {
    await unwatch().catch(() => {});
    throw error;
  }
}

/**
 * Settles what another instance of this process left behind when it went away while this one goes on (the
 * run worker thread: `run-worker.ts`): its executions, then its runs, as its own restart would. Rows of
 * instances that look dead are settled too (`own_and_stale`).
 */
export async function recoverInstance({
  deps,
  instanceId,
  verifyRecovered,
}: {
  deps: RecoveryDeps;
  instanceId: string;
  verifyRecovered?: VerifyRecovered;
}) {
  const of = { ...deps, instanceId, scope: 'own_and_stale' as const };
  const executions = await recoverInterruptedExecutions(of);
  if (verifyRecovered && executions.length > 0)
    void verifyRecovered(executions).catch((error: unknown) =>
      deps.logger.warn({ err: error }, 'could not verify the interrupted executions'),
    );
  const runs = await recoverInterruptedRuns(of);
  return { executions, runs };
}

/**
 * Sweeps every `intervalMs` on every instance for stale executions, then runs past their wall time
 * (`recoverInterruptedRuns`, which then sees how the executions ended), then approvals never started, so
 * an instance that died is found by the others while they run, not only when one of them restarts
 * (DESIGN §7). `stop` waits for a sweep in progress.
 */
export function startRecoverySweeps({
  deps,
  intervalMs,
  verifyRecovered,
}: {
  deps: RecoveryDeps;
  intervalMs: number;
  verifyRecovered?: VerifyRecovered;
}) {
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<void> = Promise.resolve();
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      sweeping = recoverInterruptedExecutions({ ...deps, scope: 'stale' })
        .then((rows) => (verifyRecovered && rows.length > 0 ? verifyRecovered(rows) : undefined))
        .then(() => recoverInterruptedRuns({ ...deps, scope: 'stale' }))
        .then(() => cancelUnstartedApprovals(deps))
        .then(
          () => {},
          (error: unknown) => deps.logger.warn({ err: error }, 'recovery sweep failed; retrying later'),
        )
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await sweeping;
    },
  };
}
