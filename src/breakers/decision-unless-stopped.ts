import { sql } from 'drizzle-orm';
import { EVENT_COLUMNS, EVENT_LIST, type EventRow } from '../audit/audit.insert.ts';
import type { AuditRecord } from '../audit/audit.types.ts';
import type { Part } from '../db/batch.ts';
import { encodedRowOf, listColumnsOf, listSelection, rowsStatement } from '../db/prepared.ts';
import { mergeableRow, type RowShape } from '../db/shared-step.ts';
import { type NewProposal, type ProposalRow, proposalFrom } from '../proposals/proposals.repository.ts';
import { proposals } from '../proposals/proposals.table.ts';
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
  const events = Array.from({ length: count }, (_, n) =>
    EVENT_LIST.map((c) => ({ ...c, name: `e${n}_${c.name}` })),
  );
  const eventNames = EVENT_LIST.map((c) => `"${c.name}"`).join(', ');
  const tuples = events
    .map((columns, n) => `(${n}, ${columns.map((c) => `v."${c.name}"`).join(', ')})`)
    .join(', ');
  return rowsStatement([...PROPOSAL, ...ASSUMED, ...events.flat()], (db, list) => {
    const engaged = engagedFor(sql.raw('v.kill_global'), sql.raw('v.kill_agent'));
    return sql`with v as (select * from ${list}),
    p as (
      ${db
        .insert(proposals)
        .select(
          sql`select ${listSelection(PROPOSAL)} from v
            where not exists (select 1 from ${killSwitches} where ${engaged})
            and not (v.breakers_closed and exists (select 1 from ${breakerStates}
              where ${breakerStates.agent} = v.agent and ${breakerStates.state} <> 'closed'))`,
        )
        .returning()
        .getSQL()}
    ),
    e as (
      insert into audit_events ${EVENT_COLUMNS}
      select ${sql.raw(EVENT_LIST.map((c) => `x."${c.name}"`).join(', '))}
      from v join p on p.id = v.id cross join lateral (values ${sql.raw(tuples)}) as x(n, ${sql.raw(eventNames)})
      order by x.n
      returning id::text as event_id, proposal_id
    )
    select p.*, e.event_id from p join e on e.proposal_id = p.id`;
  });
}

/** The statement and its shape for merging (rows of one shape merge), per count of events. */
const SHAPES = new Map<number, RowShape>();
function shapeFor(count: number): RowShape {
  let shape = SHAPES.get(count);
  if (!shape) {
    shape = { merged: decisionsUnlessStopped(count), keyColumn: 'id' };
    SHAPES.set(count, shape);
  }
  return shape;
}

/** A proposal recorded with its audit events, in the order given. */
export type RecordedDecision = { proposal: ProposalRow; events: AuditRecord[] };

/**
 * The batch part that records a decision made on a guess of the state (see `decisionsUnlessStopped`): the
 * proposal and its audit events in one statement, written only if no kill switch stops the agent and,
 * with `breakersClosed`, no breaker of the agent is open or half-open. It reads null when the guess was
 * wrong: nothing was written, and the call is decided again on the state read (`guard.ts`).
 */
export function insertDecisionUnlessStoppedPart({
  proposal,
  events,
  breakersClosed,
}: {
  proposal: NewProposal;
  events: EventRow[];
  breakersClosed: boolean;
}): Part<RecordedDecision | null> {
  if (events.length === 0) throw new Error('a decision is recorded with its audit events');
  const { killGlobal, killAgent } = killScopesOf(proposal.agent);
  const params = encodedRowOf(proposals, proposal);
  params.push(killGlobal, killAgent, breakersClosed);
  for (const event of events) params.push(...event.params);
  const shape = shapeFor(events.length);
  const statement = shape.merged([params]);
  return {
    name: 'proposal',
    statements: [mergeableRow(statement, { shape, params, key: proposal.id })],
    read: ([rows = []]) => {
      const [row] = rows;
      if (!row) return null;
      // Inserted in the order given (`order by x.n`), so their ids rise in that order.
      const ids = rows.map((r) => Number(r.event_id)).sort((a, b) => a - b);
      if (ids.length !== events.length) throw new Error('a decision was recorded without its events');
      return {
        proposal: proposalFrom(row),
        events: events.map((event, i) => ({ id: ids[i] as number, ...event.content })),
      };
    },
  };
}
