// What the guard-throughput figure's rows print beside their numbers: what each measures and, for the
// judged ones, what changed and what binds (`bench/guard-throughput.ts`).

/**
 * An allowed read executed: the decision, the tool and the finish. Issue 16 sets no target for its rate (its
 * judged figure is the overhead over the bare tool call), so the row informs.
 */
export const ALLOWED_NOTE =
  'runs the tool (two queries of its own) and records its outcome, so it is judged by its overhead over ' +
  'the bare tool call (the rows above), not beside raw inserts; outside a run, as here, two round trips of ' +
  "Warden's own since stop 40 and six statements since stop 41 (the decision on a guess of the state, claim " +
  'and audit events in one statement with COMMIT and the last check behind it; the finish, one statement ' +
  'sent alone), two WAL flushes; in a profile, socket writes, ' +
  'postgres.js, promise hooks, GC and hashing, none dominant; linking events into a table of their own ' +
  'instead of updating them (tried, not kept) cut the WAL by a quarter and moved neither CPU nor rate';
/** Since stop 35 (issue 16, lever 1), stop 38 and stop 39: what changed for the denied rows, and what binds. */
export const SHARED_NOTE =
  'calls denied whatever the state share transactions (group commit, `src/db/shared-pipeline.ts`: one ' +
  'BEGIN, COMMIT, WAL flush and round trip per step for every decision queued meanwhile), and since stop 39 ' +
  'the rows of one shape they write go as one statement over a VALUES list (`mergeableRow`, ' +
  '`src/db/shared-step.ts`); held and allowed calls are decided alone. Outside a run (this row) such a call ' +
  'reads nothing first: since stop 39 one statement inserts its proposal and its event unless a kill switch ' +
  'is engaged, sent alone without BEGIN and COMMIT (stop 38: BEGIN, two inserts, COMMIT; before: two round ' +
  'trips), and a batch of 8 is that statement over 8 rows; in a run it is two round trips (the row below). ' +
  'What binds (stop 39 profiles): with one caller a serial chain, Warden on the event loop (~0.45 ms a ' +
  'decision: postgres.js, the socket write, hashing, redaction, GC, none dominant) then the statement (~0.5 ' +
  'ms: two inserts writing 12 index entries and a WAL flush, against a raw insert’s 5 entries); with 8, the ' +
  'event loop is ~35 % idle, waiting for batches on at most two backends (3 or 4 in flight were no faster). ' +
  "Stop 40, one caller: the event loop 64 % idle, Warden's own functions ~10 % of its time; Postgres's log " +
  'puts the statement at 0.13 ms of execution (p50) and 0.03 ms of bind; the audit and proposal indexes on ' +
  'keys a run-less decision leaves null (run, seq) made partial cut that to 0.10 ms, ~3 % of a decision, ' +
  'not taken: rebuilding the audit trail’s indexes in a start-up migration would lock its writes';
/** Real calls come in runs (Warden's own agents, MCP sessions); the judged denied row above has none. */
export const IN_RUNS_NOTE =
  'the denied row’s call in one of 64 triage runs taken in turn, as every call of an agent run or MCP ' +
  'session is: the run is read and locked and the denial counted in it; denials of different runs share ' +
  'transactions (their proposals, counters and events one statement each since stop 39), two of one run ' +
  'never do, and the denial that stops a run (its second) is decided alone';
/**
 * The denied decision above is denied whatever the state, so since stop 34 it reads no breaker row; this row
 * keeps a decision that depends on the state in view.
 */
export const HELD_NOTE =
  'a decision that depends on the state (a production restart waits for one approval): the agent’s breaker ' +
  'rows read and locked, then the proposal recorded pending and audited; the denied row above is denied ' +
  'whatever the state and reads no breaker row';
