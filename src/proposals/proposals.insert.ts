import { sql } from 'drizzle-orm';
import type { Part } from '../db/batch.ts';
import {
  listColumnsOf,
  listSelection,
  placeholdersFor,
  prepareOnce,
  rowsStatement,
  withColumnDefaults,
} from '../db/prepared.ts';
import { mergeableRow, type RowShape } from '../db/shared-step.ts';
import { type NewProposal, type ProposalRow, proposalFrom } from './proposals.repository.ts';
import { proposals } from './proposals.table.ts';

/** Its parameters are the row's values in the table's column order, as drizzle lists the columns. */
const INSERT_PROPOSAL = prepareOnce<Record<string, unknown>>((db) =>
  db.insert(proposals).values(placeholdersFor(proposals)).returning().getSQL(),
);

const COLUMNS = listColumnsOf(proposals);

/** The same insert for the proposals of several members of a shared step. */
const PROPOSAL_ROWS: RowShape = {
  merged: rowsStatement(COLUMNS, (db, list) =>
    db
      .insert(proposals)
      .select(sql`select ${listSelection(COLUMNS)} from ${list}`)
      .returning()
      .getSQL(),
  ),
  keyColumn: 'id',
};

/**
 * The batch part that inserts a proposal and reads it back; in a shared step, the proposals of several
 * members are inserted by one statement.
 */
export function insertProposalPart({ proposal }: { proposal: NewProposal }): Part<ProposalRow> {
  const statement = INSERT_PROPOSAL(withColumnDefaults(proposals, proposal));
  const row = { shape: PROPOSAL_ROWS, params: statement.params, key: proposal.id };
  return {
    name: 'proposal',
    statements: [mergeableRow(statement, row)],
    read: ([rows]) => proposalFrom(rows?.[0] ?? {}),
  };
}
