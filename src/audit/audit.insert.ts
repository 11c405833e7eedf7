import { sql } from 'drizzle-orm';
import { listSelection, prepareOnce, rowsStatement, type Statement } from '../db/prepared.ts';
import { mergeableRow, type RowShape } from '../db/shared-step.ts';
import type { AuditRecord } from './audit.types.ts';

// The statements that write one audit event, and several of them in one statement for the members of a
// shared step (`shared-step.ts`). Used by audit.repository.ts.

/** The columns an event is inserted with: each one's placeholder, its column and the type it is sent as. */
const FIELDS = [
  ['at', 'at', 'timestamptz'],
  ['actor', 'actor', 'text'],
  ['action', 'action', 'text'],
  ['agent', 'agent', 'text'],
  ['environment', 'environment', 'text'],
  ['decision', 'decision', 'text'],
  ['reasonCode', 'reason_code', 'text'],
  ['charterHash', 'charter_hash', 'text'],
  ['runId', 'run_id', 'text'],
  ['incidentId', 'incident_id', 'text'],
  ['proposalId', 'proposal_id', 'text'],
  ['details', 'details', 'jsonb'],
] as const;

const COLUMNS = sql.raw(`(${FIELDS.map(([, name]) => name).join(', ')})`);
const VALUES = sql.join(
  FIELDS.map(([key, , type]) => sql`${sql.placeholder(key)}::${sql.raw(type)}`),
  sql`, `,
);
const LIST = FIELDS.map(([, name, type]) => ({ name, type }));

/** Its parameters are the event's values in `FIELDS`' order. */
const INSERT_EVENT = prepareOnce<Record<string, string | null>>(
  () => sql`insert into audit_events ${COLUMNS} values (${VALUES}) returning id::text as id`,
);

/**
 * The same insert, made only if the event's proposal exists: after that proposal's own conditional insert
 * in the same transaction (`insertProposalUnlessKilledPart`), the event is written exactly when it was. Its
 * parameters are the event's values in `FIELDS`' order, then the proposal's id.
 */
const INSERT_EVENT_WITH_PROPOSAL = prepareOnce<Record<string, string | null>>(
  () => sql`insert into audit_events ${COLUMNS} select ${VALUES}
    where exists (select 1 from proposals where id = ${sql.placeholder('proposalId')})
    returning id::text as id`,
);

/**
 * Each insert for the events of several proposals (members of a shared step); every row names its
 * proposal. The proposal is looked up by its key for each row (`offset 0` keeps the subquery from being
 * made a join, which on a table the planner thinks small scans it whole).
 */
const shapeOf = (withProposal: boolean): RowShape => ({
  merged: rowsStatement(
    LIST,
    (_, list) => sql`insert into audit_events ${COLUMNS} select ${listSelection(LIST)} from ${list}
      ${withProposal ? sql`where exists (select 1 from proposals where proposals.id = v.proposal_id offset 0)` : sql``}
      returning id::text as id, proposal_id`,
  ),
  keyColumn: 'proposal_id',
});
const EVENT_ROWS = shapeOf(false);
const EVENT_ROWS_WITH_PROPOSAL = shapeOf(true);

/**
 * The statement writing one event; `withProposal`, only if its proposal exists. An event of a proposal may
 * be written by one statement with other proposals' events, in a shared step.
 */
export function insertEventStatement(content: Omit<AuditRecord, 'id'>, withProposal = false): Statement {
  const values = {
    at: content.at.toISOString(),
    actor: content.actor,
    action: content.action,
    agent: content.agent,
    environment: content.environment,
    decision: content.decision,
    reasonCode: content.reasonCode,
    charterHash: content.charterHash,
    runId: content.runId,
    incidentId: content.incidentId,
    proposalId: content.proposalId,
    details: JSON.stringify(content.details),
  };
  const statement = (withProposal ? INSERT_EVENT_WITH_PROPOSAL : INSERT_EVENT)(values);
  if (content.proposalId === null) return statement;
  const shape = withProposal ? EVENT_ROWS_WITH_PROPOSAL : EVENT_ROWS;
  const params = statement.params.slice(0, FIELDS.length);
  return mergeableRow(statement, { shape, params, key: content.proposalId });
}
