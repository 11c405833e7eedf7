import { sql } from 'drizzle-orm';
import type { Part } from '../db/batch.ts';
import { encodedRowOf, listColumnsOf, listSelection, rowsStatement } from '../db/prepared.ts';
import { mergeableRow, type RowShape } from '../db/shared-step.ts';
import { type NewProposal, type ProposalRow, proposalFrom } from './proposals.repository.ts';
import { proposals } from './proposals.table.ts';

const COLUMNS = listColumnsOf(proposals);

/** Inserts proposals from a VALUES list: one alone, or those of several members of a shared step. */
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
  const params = encodedRowOf(proposals, proposal);
  const statement = PROPOSAL_ROWS.merged([params]);
  return {
    name: 'proposal',
    statements: [mergeableRow(statement, { shape: PROPOSAL_ROWS, params, key: proposal.id })],
    read: ([rows]) => proposalFrom(rows?.[0] ?? {}),
  };
}
