import { getTableColumns, sql } from 'drizzle-orm';
import type { Part } from '../db/batch.ts';
import {
  encodedPlaceholder,
  listColumnsOf,
  listSelection,
  prepareOnce,
  rowsStatement,
  withColumnDefaults,
} from '../db/prepared.ts';
import { mergeableRow, type RowShape } from '../db/shared-step.ts';
import { type NewProposal, type ProposalRow, proposalFrom } from '../proposals/proposals.repository.ts';
import { proposals } from '../proposals/proposals.table.ts';
import { killSwitches } from './breakers.table.ts';
import { ENGAGED_FOR_AGENT, engagedFor, killScopesOf } from './kill-switch.repository.ts';

/**
 * `insert into proposals (every column) select <each value> where no switch that stops the agent is engaged`:
 * the values are the same encoded placeholders an ordinary insert takes, in the table's column order (the
 * order drizzle lists the columns in; the table has no generated column). Postgres types each parameter
 * from its target column, as it does for `values`. Its parameters are the row's values, then the scopes.
 */
const INSERT_UNLESS_KILLED = prepareOnce<Record<string, unknown>>((db) => {
  const values = Object.entries(getTableColumns(proposals)).map(([key, column]) =>
    encodedPlaceholder(key, column),
  );
  return db
    .insert(proposals)
    .select(
      sql`select ${sql.join(values, sql`, `)}
        where not exists (select 1 from ${killSwitches} where ${ENGAGED_FOR_AGENT})`,
    )
    .returning()
    .getSQL();
});

const COLUMNS = listColumnsOf(proposals);
const KILL_SCOPES = [
  { name: 'kill_global', type: 'text' },
  { name: 'kill_agent', type: 'text' },
];

/** The same insert for the proposals of several members of a shared step, each on its agent's switches. */
const UNLESS_KILLED_ROWS: RowShape = {
  merged: rowsStatement([...COLUMNS, ...KILL_SCOPES], (db, list) =>
    db
      .insert(proposals)
      .select(
        sql`select ${listSelection(COLUMNS)} from ${list}
          where not exists (select 1 from ${killSwitches}
            where ${engagedFor(sql.raw('v.kill_global'), sql.raw('v.kill_agent'))})`,
      )
      .returning()
      .getSQL(),
  ),
  keyColumn: 'id',
};

/**
 * The batch part that inserts a proposal only if no kill switch that stops its agent is engaged when the
 * insert runs (a statement sees what committed before it started, as the guard's own read of the switches
 * does), and reads it back: null when a switch was engaged and nothing was inserted. The guard decides a
 * call denied whatever the state this way in one round trip (`guard.ts`). In a shared step, the proposals
 * of several members are inserted by one statement.
 */
export function insertProposalUnlessKilledPart({
  proposal,
}: {
  proposal: NewProposal;
}): Part<ProposalRow | null> {
  // The kill condition's placeholders are added to the row's values (a fresh object), not spread with them:
  // spreading a row this wide took ~13 µs a call against ~3 µs (measured side by side).
  const values: Record<string, unknown> = withColumnDefaults(proposals, proposal);
  Object.assign(values, killScopesOf(proposal.agent));
  const statement = INSERT_UNLESS_KILLED(values);
  const row = { shape: UNLESS_KILLED_ROWS, params: statement.params, key: proposal.id };
  return {
    name: 'proposal',
    statements: [mergeableRow(statement, row)],
    read: ([rows]) => (rows?.[0] ? proposalFrom(rows[0]) : null),
  };
}
