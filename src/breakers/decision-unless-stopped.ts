import { sql } from 'drizzle-orm';
import { EVENT_COLUMNS, EVENT_LIST, type EventRow } from '../audit/audit.insert.ts';
import type { AuditRecord } from '../audit/audit.types.ts';
import type { Part } from '../db/batch.ts';
import type { RawRow } from '../db/pipeline.ts';
import { encodedRowOf, listColumnsOf, listSelection, rowsStatement, type Statement } from '../db/prepared.ts';
import { mergeableRow, type RowShape } from '../db/shared-step.ts';
import { type NewProposal, type ProposalRow, proposalFrom } from '../proposals/proposals.repository.ts';
import { proposals } from '../proposals/proposals.table.ts';
import { type RunRow, runFrom } from '../runs/runs.repository.ts';
import { runs } from '../runs/runs.table.ts';
import { breakerStates, killSwitches } from './breakers.table.ts';
import { engagedFor, killScopesOf } from './kill-switch.repository.ts';

const PROPOSAL = listColumnsOf(proposals);
/** What the guess assumed, checked by the statement itself. */
const ASSUMED = [
  { name: 'kill_global', type: 'text' },
  { name: 'kill_agent', type: 'text' },
  { name: 'breakers_closed', type: 'boolean' },
];

/**
 * One statement for decisions made on a guess of the state: that no kill switch stops their agents and,
 * where the decision assumed it (`breakers_closed`), that every breaker of the agent is closed. Each
 * proposal is inserted only if that holds when the statement runs (it sees what committed before it
 * started, as the guard's own reads do), and its audit events only with it, in the order given: all or
 * nothing. A row per event: the proposal and the event's id. `count` is the events per decision; a lone
 * decision sends a list of one.
 */
function decisionsUnlessStopped(count: number) {
  const events = eventColumns(count);
  return rowsStatement([...PROPOSAL, ...ASSUMED, ...events.flat()], (db, list) => {
    return sql`with v as (select * from ${list}),
    p as (
      ${db
        .insert(proposals)
        .select(sql`select ${listSelection(PROPOSAL)} from v where ${guessHolds()}`)
        .returning()
        .getSQL()}
    ),
    ${eventsOf(events)}
    select p.*, e.event_id from p join e on e.proposal_id = p.id`;
  });
}

/** The run's counters a decision in a run was made on, checked by the statement (`insertDecisionInRunPart`). */
const RUN_ASSUMED = [
  { name: 'run_tool_calls', type: 'integer' },
  { name: 'run_tokens_used', type: 'integer' },
  { name: 'run_denied_count', type: 'integer' },
  { name: 'run_mode_cap', type: 'text' },
];

/**
 * The allowed call of a run decided on the run's row as this process last saw it: the run's tool calls
 * are counted (and the run locked) only if the counters `decide()` read are still those, no switch stops the
 * agent and every breaker of the agent is closed; the proposal and its events only with that update. One
 * row per event, each with the run as it now stands (`run`).
 */
function decisionInRun(count: number) {
  const events = eventColumns(count);
  return rowsStatement([...PROPOSAL, ...ASSUMED, ...RUN_ASSUMED, ...events.flat()], (db, list) => {
    return sql`with v as (select * from ${list}),
    r as (
      update ${runs} set ${sql.identifier(runs.toolCalls.name)} = ${runs.toolCalls} + 1 from v
      where ${runs.id} = v.run_id and ${runs.toolCalls} = v.run_tool_calls
        and ${runs.tokensUsed} = v.run_tokens_used and ${runs.deniedCount} = v.run_denied_count
        and ${runs.modeCap} is not distinct from v.run_mode_cap and ${guessHolds()}
      returning ${runs}.*
    ),
    p as (
      ${db
        .insert(proposals)
        .select(sql`select ${listSelection(PROPOSAL)} from v join r on r.id = v.run_id`)
        .returning()
        .getSQL()}
    ),
    ${eventsOf(events)}
    select p.*, e.event_id, to_jsonb(r) as run from p join e on e.proposal_id = p.id cross join r`;
  });
}

/** The guess, on the list's row `v`: no switch stops its agent and, where assumed, no breaker is open. */
function guessHolds() {
  const engaged = engagedFor(sql.raw('v.kill_global'), sql.raw('v.kill_agent'));
  return sql`not exists (select 1 from ${killSwitches} where ${engaged})
    and not (v.breakers_closed and exists (select 1 from ${breakerStates}
      where ${breakerStates.agent} = v.agent and ${breakerStates.state} <> 'closed'))`;
}

/** Each decision's events as columns of its list row: `e0_at`, … for the first, `e1_at`, … for the next. */
function eventColumns(count: number) {
  return Array.from({ length: count }, (_, n) => EVENT_LIST.map((c) => ({ ...c, name: `e${n}_${c.name}` })));
}

/** The CTE `e`: the events of the proposals `p` inserted, in the order given (`x.n`), so ids rise in it. */
function eventsOf(events: { name: string }[][]) {
  const names = EVENT_LIST.map((c) => `"${c.name}"`).join(', ');
  const tuples = events
    .map((columns, n) => `(${n}, ${columns.map((c) => `v."${c.name}"`).join(', ')})`)
    .join(', ');
  return sql`e as (
      insert into audit_events ${EVENT_COLUMNS}
      select ${sql.raw(EVENT_LIST.map((c) => `x."${c.name}"`).join(', '))}
      from v join p on p.id = v.id cross join lateral (values ${sql.raw(tuples)}) as x(n, ${sql.raw(names)})
      order by x.n
      returning id::text as event_id, proposal_id
    )`;
}

/** `build(count)` made once per count of events: a statement's text, and a shape's identity for merging. */
function perCount<T>(build: (count: number) => T): (count: number) => T {
  const made = new Map<number, T>();
  return (count) => {
    if (!made.has(count)) made.set(count, build(count));
    return made.get(count) as T;
  };
}

/** The run-less statement and its shape for merging (rows of one shape merge), per count of events. */
const shapeFor = perCount((count): RowShape => ({ merged: decisionsUnlessStopped(count), keyColumn: 'id' }));
/** The in-run statement per count of events (never merged: an allowed call is decided alone). */
const inRunFor = perCount(decisionInRun);

/** A proposal recorded with its audit events, in the order given, and the run as it now stands (in a run). */
export type RecordedDecision = { proposal: ProposalRow; events: AuditRecord[]; run: RunRow | null };

/**
 * The batch part that records a decision made on a guess of the state (see `decisionsUnlessStopped`): the
 * proposal and its audit events in one statement, written only if no kill switch stops the agent and,
 * with `breakersClosed`, no breaker of the agent is open or half-open. With `run`, the run's row the
 * decision was made on: the run's tool calls are counted only if its counters are still those
 * (`decisionInRun`). It reads null when the guess was wrong: nothing was written, and the call is decided
 * again on the state read (`guard.ts`).
 */
export function insertDecisionUnlessStoppedPart({
  proposal,
  events,
  breakersClosed,
  run = null,
}: {
  proposal: NewProposal;
  events: EventRow[];
  breakersClosed: boolean;
  run?: RunRow | null;
}): Part<RecordedDecision | null> {
  if (events.length === 0) throw new Error('a decision is recorded with its audit events');
  const { killGlobal, killAgent } = killScopesOf(proposal.agent);
  const params = encodedRowOf(proposals, proposal);
  params.push(killGlobal, killAgent, breakersClosed);
  if (run) params.push(run.toolCalls, run.tokensUsed, run.deniedCount, run.modeCap);
  for (const event of events) params.push(...event.params);
  let statement: Statement;
  if (run) statement = inRunFor(events.length)([params]);
  else {
    const shape = shapeFor(events.length);
    statement = mergeableRow(shape.merged([params]), { shape, params, key: proposal.id });
  }
  return {
    name: 'proposal',
    statements: [statement],
    read: ([rows = []]) => {
      const [row] = rows;
      if (!row) return null;
      // Inserted in the order given (`order by x.n`), so their ids rise in that order.
      const ids = rows.map((r) => Number(r.event_id)).sort((a, b) => a - b);
      if (ids.length !== events.length) throw new Error('a decision was recorded without its events');
      return {
        proposal: proposalFrom(row),
        events: events.map((event, i) => ({ id: ids[i] as number, ...event.content })),
        run: run ? runFrom(row.run as RawRow) : null,
      };
    },
  };
}
