import type { RawRow } from './pipeline.ts';
import { compileStatement, type Statement } from './prepared.ts';

const shareable = new WeakSet<object>();

/**
 * Marks a read that no work's statement changes (the kill switch: only a kill or a resume writes it). In a
 * shared transaction, members that ask for the same read with the same values in one step get the rows of
 * one statement, sent at the last place any of them asked for it: after every statement each of them sent
 * before it, so it is never older than the read each would have sent.
 */
export function shareableRead<S extends Statement>(statement: S): S {
  shareable.add(statement);
  return statement;
}

/** One step of a shared transaction: what is sent, and where each member's statements are in it. */
export type StepPlan = {
  statements: Statement[];
  /** `positions[m][i]`: the place in `statements` of member m's statement i. */
  positions: number[][];
  /** How many members each place serves (more than one for a shared read). */
  uses: number[];
};

/** The step's statements, members' in member order, with each shareable read asked for twice sent once. */
export function planStep(requests: Statement[][]): StepPlan {
  const keyOf = (statement: Statement): string | null => {
    if (!shareable.has(statement)) return null;
    const { text, params } = compileStatement(statement);
    return `${text}\u0000${JSON.stringify(params)}`;
  };
  const flat = requests.flatMap((statements, member) =>
    statements.map((statement) => ({ member, statement, key: keyOf(statement) })),
  );
  const last = new Map<string, number>();
  for (const [index, { key }] of flat.entries()) if (key !== null) last.set(key, index);
  // A shareable read is sent once, at the last place it is asked for; every other statement where it is.
  const statements: Statement[] = [];
  const placeOfKey = new Map<string, number>();
  const sentAt = flat.map(({ statement, key }, index) => {
    if (key !== null && last.get(key) !== index) return null;
    statements.push(statement);
    if (key !== null) placeOfKey.set(key, statements.length - 1);
    return statements.length - 1;
  });
  const positions: number[][] = requests.map(() => []);
  const uses = statements.map(() => 0);
  for (const [index, { member, key }] of flat.entries()) {
    const place = (key === null ? sentAt[index] : placeOfKey.get(key)) as number;
    (positions[member] as number[]).push(place);
    uses[place] = (uses[place] as number) + 1;
  }
  return { statements, positions, uses };
}

/** Member m's rows from the step's results; a shared read's rows are copied for each member it serves. */
export function rowsOfMember(plan: StepPlan, rows: RawRow[][], member: number): RawRow[][] {
  return (plan.positions[member] ?? []).map((place) => {
    const own = rows[place] ?? [];
    return (plan.uses[place] ?? 0) > 1 ? [...own] : own;
  });
}

/**
 * The member and its own statement index that a failed place belongs to, or null when it belongs to
 * several (a shared read) or to none.
 */
export function ownerOf(plan: StepPlan, place: number): { member: number; index: number } | null {
  if (plan.uses[place] !== 1) return null;
  for (const [member, places] of plan.positions.entries()) {
    const index = places.indexOf(place);
    if (index >= 0) return { member, index };
  }
  return null;
}
