import { sql } from 'drizzle-orm';
import { type ListColumn, listSelection, rowsStatement, type Statement } from '../db/prepared.ts';
import { mergeableRow, type RowShape } from '../db/shared-step.ts';
import type { AuditRecord } from './audit.types.ts';

// The statements that write audit events: one event, and the events of several proposals in one statement
// for the members of a shared step (`shared-step.ts`). Used by audit.repository.ts, and by the guard's
// one-statement decision (`decision-unless-stopped.ts`).

/** What an event stores, before the database gives it its id. */
export type EventContent = Omit<AuditRecord, 'id'>;

/** An event ready to insert: what it stores, and its parameters in `EVENT_LIST`'s order. */
export type EventRow = { content: EventContent; params: unknown[] };

/** The columns an event is inserted with, in order, and the types their parameters are sent as. */
export const EVENT_LIST: ListColumn[] = [
  { name: 'at', type: 'timestamptz' },
  { name: 'actor', type: 'text' },
  { name: 'action', type: 'text' },
  { name: 'agent', type: 'text' },
  { name: 'environment', type: 'text' },
  { name: 'decision', type: 'text' },
  { name: 'reason_code', type: 'text' },
  { name: 'charter_hash', type: 'text' },
  { name: 'run_id', type: 'text' },
  { name: 'incident_id', type: 'text' },
  { name: 'proposal_id', type: 'text' },
  { name: 'details', type: 'jsonb' },
];

/** `(at, actor, …)`: the columns of `EVENT_LIST`, for an insert into audit_events. */
export const EVENT_COLUMNS = sql.raw(`(${EVENT_LIST.map((c) => c.name).join(', ')})`);

/** The event's parameters, encoded, in `EVENT_LIST`'s order. */
export function eventRowOf(content: EventContent): EventRow {
  const params = [
    content.at.toISOString(),
    content.actor,
    content.action,
    content.agent,
    content.environment,
    content.decision,
    content.reasonCode,
    content.charterHash,
    content.runId,
    content.incidentId,
    content.proposalId,
    JSON.stringify(content.details),
  ];
  return { content, params };
}

/** Inserts events from a VALUES list (one for a lone event); each returned row names its proposal. */
const INSERT_EVENTS = rowsStatement(
  EVENT_LIST,
  (_, list) => sql`insert into audit_events ${EVENT_COLUMNS} select ${listSelection(EVENT_LIST)} from ${list}
    returning id::text as id, proposal_id`,
);

/** The events of several proposals (members of a shared step), one statement; every row names its proposal. */
const EVENT_ROWS: RowShape = { merged: INSERT_EVENTS, keyColumn: 'proposal_id' };

/** The statement writing one event; an event of a proposal may be written with other proposals' events. */
export function insertEventStatement(row: EventRow): Statement {
  const statement = INSERT_EVENTS([row.params]);
  const key = row.content.proposalId;
  return key === null ? statement : mergeableRow(statement, { shape: EVENT_ROWS, params: row.params, key });
}
