import { sql } from 'drizzle-orm';
import { EVENT_COLUMNS, EVENT_LIST, type EventRow } from '../audit/audit.insert.ts';
import type { AuditRecord } from '../audit/audit.types.ts';
import type { Part } from '../db/batch.ts';
import { encodedRowOf, listColumnsOf, listSelection, rowsStatement } from '../db/prepared.ts';
import { mergeableRow, type RowShape } from '../db/shared-step.ts';
import { type NewProposal, type ProposalRow, proposalFrom } from '../proposals/proposals.repository.ts';
import { proposals } from '../proposals/proposals.table.ts';
import { killSwitches } from './breakers.table.ts';
import { engagedFor, killScopesOf } from './kill-switch.repository.ts';

const PROPOSAL = listColumnsOf(proposals);
const KILL_SCOPES = [
  { name: 'kill_global', type: 'text' },
  { name: 'kill_agent', type: 'text' },
];
/** The event's columns, renamed in the list: several are also the proposal's. */
const EVENT = EVENT_LIST.map((c) => ({ ...c, name: `event_${c.name}` }));

/**
 * One statement for decisions made on the guess that no kill switch stops their agents: each proposal is
 * inserted only if none is engaged when the statement runs (it sees what committed before it started, as
 * the guard's own read of the switches does), and its audit event only with it, so both or neither. One
 * row each: the proposal and its event's id. A lone decision sends a list of one.
 */
const DECISIONS_UNLESS_KILLED = rowsStatement([...PROPOSAL, ...KILL_SCOPES, ...EVENT], (db, list) => {
  const engaged = engagedFor(sql.raw('v.kill_global'), sql.raw('v.kill_agent'));
  return sql`with v as (select * from ${list}),
    p as (
      ${db
        .insert(proposals)
        .select(
          sql`select ${listSelection(PROPOSAL)} from v
            where not exists (select 1 from ${killSwitches} where ${engaged})`,
        )
        .returning()
        .getSQL()}
    ),
    e as (
      insert into audit_events ${EVENT_COLUMNS}
      select ${listSelection(EVENT)} from v join p on p.id = v.id
      returning id::text as event_id, proposal_id
    )
    select p.*, e.event_id from p join e on e.proposal_id = p.id`;
});

/** Decisions of several members of a shared step in one statement; each row names its proposal. */
const DECISION_ROWS: RowShape = { merged: DECISIONS_UNLESS_KILLED, keyColumn: 'id' };

/** A proposal recorded with its audit event. */
export type RecordedDecision = { proposal: ProposalRow; event: AuditRecord };

/**
 * The batch part that records a decision made on the guess that no kill switch stops the agent: the
 * proposal and its one audit event in one statement, written only if no such switch is engaged. It reads
 * null when one was: nothing was written. The guard decides a run-less call denied whatever the state this
 * way, in one round trip (`guard.ts`).
 */
export function insertDecisionUnlessKilledPart({
  proposal,
  event,
}: {
  proposal: NewProposal;
  event: EventRow;
}): Part<RecordedDecision | null> {
  const { killGlobal, killAgent } = killScopesOf(proposal.agent);
  const params = encodedRowOf(proposals, proposal);
  params.push(killGlobal, killAgent, ...event.params);
  const statement = DECISIONS_UNLESS_KILLED([params]);
  return {
    name: 'proposal',
    statements: [mergeableRow(statement, { shape: DECISION_ROWS, params, key: proposal.id })],
    read: ([rows]) => {
      const row = rows?.[0];
      if (!row) return null;
      return { proposal: proposalFrom(row), event: { id: Number(row.event_id), ...event.content } };
    },
  };
}
