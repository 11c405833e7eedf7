import { wardenError } from '../shared/errors.ts';

/** One execution running in this process, abortable by the kill switch. */
export type InFlightExecution = {
  proposalId: string;
  agent: string;
  tool: string;
  leaseId: string;
  controller: AbortController;
};

/** One agent run going on in this process; aborting it stops the planner call it is waiting for. */
export type InFlightRun = {
  runId: string;
  agent: string;
  controller: AbortController;
};

/**
 * The executions and agent runs going on in this process. Correctness never depends on it (the database
 * is the source of truth); it only lets a kill stop calls in flight here at once, including a kill
 * engaged on another instance (heard through LISTEN/NOTIFY).
 */
export function createInFlightRegistry() {
  const running = new Map<string, InFlightExecution>();
  const runs = new Map<string, InFlightRun>();
  const concerns = (agent: string | undefined, of: string) => agent === undefined || agent === of;
  return {
    add: (execution: InFlightExecution) => {
      running.set(execution.proposalId, execution);
    },
    remove: (proposalId: string) => {
      running.delete(proposalId);
    },
    /** Aborts every execution of the agent (or all, for a global kill); returns what it aborted. */
    abort: ({ agent, reason }: { agent?: string; reason: string }): InFlightExecution[] => {
      const aborted: InFlightExecution[] = [];
      for (const execution of running.values()) {
        if (!concerns(agent, execution.agent)) continue;
        execution.controller.abort(new Error(reason));
        aborted.push(execution);
      }
      return aborted;
    },
    list: () => [...running.values()],
    addRun: (run: InFlightRun) => {
      runs.set(run.runId, run);
    },
    removeRun: (runId: string) => {
      runs.delete(runId);
    },
    /**
     * Aborts every run of the agent (or all) with a `kill_switch` error, so a planner call in progress
     * (a model request) stops at once instead of when it answers; returns the runs it aborted.
     */
    abortRuns: ({ agent, reason }: { agent?: string; reason: string }): InFlightRun[] => {
      const aborted: InFlightRun[] = [];
      for (const run of runs.values()) {
        if (!concerns(agent, run.agent) || run.controller.signal.aborted) continue;
        run.controller.abort(wardenError({ code: 'kill_switch', message: reason }));
        aborted.push(run);
      }
      return aborted;
    },
    listRuns: () => [...runs.values()],
  };
}
export type InFlightRegistry = ReturnType<typeof createInFlightRegistry>;
