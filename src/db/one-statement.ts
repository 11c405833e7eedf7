import type { RawRow } from './pipeline.ts';
import { compileStatement, type RawStatement, type Statement } from './prepared.ts';

/** A statement to run as part of one (`oneStatementOf`): `rows` when its RETURNING rows are read back. */
export type Member = { statement: Statement; rows: boolean };

/**
 * Several data-modifying statements as one, each a CTE of it: Postgres runs a statement sent alone as a
 * transaction of its own, so they commit together or not at all, in one round trip without BEGIN and
 * COMMIT. Every CTE sees the same snapshot (none sees another's writes), so the members must not depend on
 * each other's effects. The rows of each member marked `rows` come back as a JSON array (timestamps as
 * text, as the raw readers take them). With `required`, the whole statement fails, and nothing of it is
 * written, unless that member's statement changed a row: a division by zero over its count.
 * `split` gives back each member's rows in order (none for the others), as a batch's results read.
 */
export function oneStatementOf(
  members: Member[],
  { required }: { required?: number } = {},
): { statement: RawStatement; split: (rows: RawRow[]) => RawRow[][] } {
  if (required !== undefined && !members[required]?.rows)
    throw new Error('the required member must return its rows');
  const compiled = members.map((member) => compileStatement(member.statement));
  const key = [required, ...members.map((m) => m.rows), ...compiled.map((c) => c.text)].join('\u0000');
  let text = composed.get(key);
  if (text === undefined) {
    text = compose({ compiled, members, required });
    composed.set(key, text);
  }
  const params: unknown[] = [];
  for (const { params: own } of compiled) for (const value of own) params.push(value);
  return {
    statement: { text, params },
    split: ([row]) => members.map((member, i) => (member.rows ? parsedRows(row?.[`m${i}`]) : [])),
  };
}

/**
 * The text of members as one statement: each one's parameters numbered on from the last one's. Built once
 * per combination of texts (a few in the code: they are the prepared statements of its hot paths).
 */
function compose({
  compiled,
  members,
  required,
}: {
  compiled: RawStatement[];
  members: Member[];
  required: number | undefined;
}): string {
  let offset = 0;
  const ctes = compiled.map(({ text, params }, i) => {
    const from = offset;
    offset += params.length;
    const shifted = from === 0 ? text : text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + from}`);
    return `m${i} as (${shifted})`;
  });
  const columns = members.flatMap((member, i) =>
    member.rows ? [`(select coalesce(json_agg(m${i}), '[]') from m${i}) as m${i}`] : [],
  );
  if (required !== undefined) columns.push(`1 / (select count(*)::int from m${required}) as required`);
  if (columns.length === 0) columns.push('1 as done');
  return `with ${ctes.join(', ')} select ${columns.join(', ')}`;
}

/** Texts composed so far, by their members' texts and flags (a few combinations in the code). */
const composed = new Map<string, string>();

/** A JSON array column as rows: postgres.js and PGlite parse JSON, but either may hand over text. */
function parsedRows(value: unknown): RawRow[] {
  const rows = typeof value === 'string' ? JSON.parse(value) : value;
  if (!Array.isArray(rows)) throw new Error('expected the rows of a member as a JSON array');
  return rows as RawRow[];
}
