import { describe, expect, it } from 'vitest';
import type { RawStatement } from '../../../src/db/prepared.ts';
import {
  mergeableRow,
  ownerOf,
  planStep,
  type RowShape,
  rowsOfMember,
  shareableRead,
} from '../../../src/db/shared-step.ts';

/** A shape whose merged statement names the rows it took, in order. */
const shape = (name: string): RowShape => ({
  merged: (rows) => ({ text: `${name}:${rows.map((r) => r[0]).join(',')}`, params: rows.flat() }),
  keyColumn: 'key',
});
const X = shape('x');
const Y = shape('y');
const row = (of: RowShape, key: string): RawStatement =>
  mergeableRow({ text: `one ${key}`, params: [key] }, { shape: of, params: [key], key });
const plain = (text: string): RawStatement => ({ text, params: [] });
const texts = (statements: unknown[]) => statements.map((s) => (s as RawStatement).text);

describe('a shared step’s plan', () => {
  it('sends the rows of one shape from several members as one statement, at the first one’s place', () => {
    const plan = planStep([
      [row(X, 'a'), row(Y, 'a')],
      [row(X, 'b'), row(Y, 'b')],
      [row(X, 'c'), row(Y, 'c')],
    ]);
    expect(texts(plan.statements)).toEqual(['x:a,b,c', 'y:a,b,c']);
    expect(plan.positions).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(plan.uses).toEqual([3, 3]);
    expect(plan.statements[0]).toMatchObject({ params: ['a', 'b', 'c'] });
  });

  it('gives each member the returned rows its key names, and blames no member for merged rows', () => {
    const plan = planStep([[row(X, 'a')], [plain('select 1'), row(X, 'b')], [row(X, 'c')]]);
    // b's row cannot go before b's own first statement, so it starts a group that c joins.
    expect(texts(plan.statements)).toEqual(['one a', 'select 1', 'x:b,c']);
    const results = [[{ key: 'a' }], [{ n: 1 }], [{ key: 'c' }, { key: 'b' }]];
    expect(rowsOfMember(plan, results, 0)).toEqual([[{ key: 'a' }]]);
    expect(rowsOfMember(plan, results, 1)).toEqual([[{ n: 1 }], [{ key: 'b' }]]);
    expect(rowsOfMember(plan, results, 2)).toEqual([[{ key: 'c' }]]);
    expect(ownerOf(plan, 0)).toEqual({ member: 0, index: 0 });
    expect(ownerOf(plan, 2)).toBeNull();
  });

  it('keeps each member’s statements in its order', () => {
    const plan = planStep([
      [row(X, 'a'), plain('after a'), row(Y, 'a')],
      [row(X, 'b'), plain('after b'), row(Y, 'b')],
      [plain('before c'), row(X, 'c')],
    ]);
    for (const places of plan.positions) {
      expect(places).toEqual([...places].sort((p, q) => p - q));
      expect(new Set(places).size).toBe(places.length);
    }
    // b's second row would run before 'after b' at a's place, and c's before 'before c' at a's: alone.
    expect(texts(plan.statements)).toEqual([
      'x:a,b',
      'after a',
      'one a',
      'after b',
      'one b',
      'before c',
      'one c',
    ]);
  });

  it('never merges two rows with one key, nor two rows of one member', () => {
    const plan = planStep([[row(X, 'a'), row(X, 'b')], [row(X, 'a')]]);
    expect(texts(plan.statements)).toEqual(['one a', 'x:b,a']);
    expect(plan.positions).toEqual([[0, 1], [1]]);
  });

  it('sends a row merged with none as its own statement, and merges nothing in a step with a shared read', () => {
    const lone = row(X, 'a');
    expect(planStep([[lone], [plain('other')]]).statements[0]).toBe(lone);
    const read = () => shareableRead(plain('select kill'));
    const plan = planStep([
      [read(), row(X, 'a')],
      [read(), row(X, 'b')],
    ]);
    expect(texts(plan.statements)).toEqual(['one a', 'select kill', 'one b']);
  });
});
