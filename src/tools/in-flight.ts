/** One execution running in this process, abortable by the kill switch. */
export type InFlightExecution = {
  proposalId: string;
  agent: string;
  tool: string;
  leaseId: string;
  controller: AbortController;
};

/**
 * The executions running in this process. Correctness never depends on it (the database is the source
 * of truth); it only lets a kill abort calls in flight here, including one signalled by another instance.
 */
export function createInFlightRegistry() {
  const running = new Map<string, InFlightExecution>();
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
        if (agent !== undefined && execution.agent !== agent) continue;
        execution.controller.abort(new Error(reason));
        aborted.push(execution);
      }
      return aborted;
    },
    list: () => [...running.values()],
  };
}
export type InFlightRegistry = ReturnType<typeof createInFlightRegistry>;
