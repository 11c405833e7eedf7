import { AsyncLocalStorage } from 'node:async_hooks';

/** The ids a log line carries when they are known: the HTTP request, the agent run, the proposal. */
export type LogIds = { requestId?: string; runId?: string; proposalId?: string };

// Async context, not state: it only labels log lines and nothing reads it for correctness.
const storage = new AsyncLocalStorage<LogIds>();

/** Runs `fn` with these ids (merged over the ids already in effect) on every log line written inside it. */
export function runWithLogIds<T>(ids: LogIds, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...definedIds(ids) }, fn);
}

/**
 * A copy of the ids in effect here; empty outside any request, run or proposal. A copy, because pino merges
 * each line's fields into the object its mixin returns: handing out the store itself would leak one line's
 * fields (a status, a proposal id) into every later line of the same context.
 */
export function currentLogIds(): LogIds {
  return { ...storage.getStore() };
}

function definedIds(ids: LogIds): LogIds {
  const out: LogIds = {};
  if (ids.requestId) out.requestId = ids.requestId;
  if (ids.runId) out.runId = ids.runId;
  if (ids.proposalId) out.proposalId = ids.proposalId;
  return out;
}

/** Runs `fn` with no ids: for background work started from a request that outlives it or serves others too. */
export function outsideLogIds<T>(fn: () => T): T {
  return storage.exit(fn);
}
