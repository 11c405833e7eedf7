import { PipelineStatementError, type RawRow } from './pipeline.ts';
import type { Statement } from './prepared.ts';

/**
 * Statements one caller adds to a pipelined batch, and what it makes of their rows (`rows[i]` are the
 * rows of `statements[i]`). `name` says what the part is for: a failed statement is reported by it.
 */
export type Part<T> = { name: string; statements: Statement[]; read: (rows: RawRow[][]) => T };

/** A part's place in a batch: `read` takes the whole batch's results and gives the part's own value. */
export type Slot<T> = { read: (results: RawRow[][]) => T };

/** A part of statements whose rows nobody needs (an insert, an update). */
export function writePart(name: string, ...statements: Statement[]): Part<void> {
  return { name, statements, read: () => undefined };
}

/** A part of one statement whose rows the caller reads. */
export function rowsPart(name: string, statement: Statement): Part<RawRow[]> {
  return { name, statements: [statement], read: (rows) => rows[0] ?? [] };
}

/**
 * Builds one batch for `PipelineTx.send` / `sendAndCommit` from parts: each part adds its statements and
 * gets a slot that reads back its own results, so no caller counts positions in the batch.
 */
export function createBatch() {
  const statements: Statement[] = [];
  const spans: { name: string; from: number; to: number }[] = [];

  function add<T>(part: Part<T>): Slot<T> {
    const from = statements.length;
    statements.push(...part.statements);
    const to = statements.length;
    spans.push({ name: part.name, from, to });
    return { read: (results) => part.read(results.slice(from, to)) };
  }

  /**
   * The name of the part whose statement failed, or null when the failure was not one of its statements
   * (the BEGIN, the COMMIT, a lost connection).
   */
  function failedPart(error: unknown): string | null {
    if (!(error instanceof PipelineStatementError)) return null;
    return spans.find((s) => error.index >= s.from && error.index < s.to)?.name ?? null;
  }

  return { statements, add, failedPart, isEmpty: () => statements.length === 0 };
}

export type Batch = ReturnType<typeof createBatch>;
