import type { PGlite } from '@electric-sql/pglite';
import { checkDeadline } from './bounded-sql.ts';
import { PipelineStatementError, type RawRow, type RunPipelined } from './pipeline.ts';
import { compileStatement, type Statement } from './prepared.ts';

/** Pipelined transactions on PGlite: one connection, so the statements run one after another. */
export function pipelinedOnPglite(pg: PGlite): RunPipelined {
  return (work) =>
    pg.transaction(async (tx) => {
      let ended = false;
      const run = async (statements: Statement[]): Promise<RawRow[][]> => {
        if (ended) throw new Error('the pipelined transaction has already ended');
        checkDeadline();
        const results: RawRow[][] = [];
        for (const [index, statement] of statements.entries()) {
          const { text, params } = compileStatement(statement);
          try {
            results.push((await tx.query<RawRow>(text, params)).rows);
          } catch (cause) {
            throw new PipelineStatementError({ index, cause });
          }
        }
        return results;
      };
      const sendAndCommit = async (statements: Statement[]) => {
        const results = await run(statements);
        ended = true;
        return results;
      };
      return work({
        send: run,
        sendAndCommit,
        // One connection, held by this transaction until it commits: nothing can commit between these reads
        // and this COMMIT, so reading last inside the transaction sees what reading after it would. A failed
        // read aborts the transaction, so here it fails the whole batch: nothing commits.
        sendCommitAndRead: async (statements, reads) => {
          const rows = await run(statements);
          const read = await run(reads).catch((cause: unknown) => {
            throw new Error('the reads after the commit failed', { cause });
          });
          ended = true;
          return { rows, read };
        },
      });
    });
}
