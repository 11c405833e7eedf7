import { describe, expect, it } from 'vitest';
import type { ArgConstraint } from '../../../src/policy/charter.schemas.ts';
import {
  checkConstraint,
  describeConstraint,
  findConstraintViolation,
  matchesWhen,
} from '../../../src/policy/constraints.ts';

const ok = (value: unknown, constraint: ArgConstraint) => checkConstraint({ value, constraint }).ok;

describe('checkConstraint', () => {
  it('equals is strict', () => {
    expect(ok('checkout', { equals: 'checkout' })).toBe(true);
    expect(ok('Checkout', { equals: 'checkout' })).toBe(false);
    expect(ok('3', { equals: 3 })).toBe(false);
    expect(ok(true, { equals: true })).toBe(true);
  });

  it('in and not_in compare strictly', () => {
    expect(ok('a', { in: ['a', 'b'] })).toBe(true);
    expect(ok('c', { in: ['a', 'b'] })).toBe(false);
    expect(ok(1, { in: ['1'] })).toBe(false);
    expect(ok('c', { not_in: ['a', 'b'] })).toBe(true);
    expect(ok('a', { not_in: ['a', 'b'] })).toBe(false);
  });

  it('min and max are inclusive, lt and gt exclusive', () => {
    expect(ok(1, { min: 1 })).toBe(true);
    expect(ok(0, { min: 1 })).toBe(false);
    expect(ok(20, { max: 20 })).toBe(true);
    expect(ok(21, { max: 20 })).toBe(false);
    expect(ok(0, { lt: 1 })).toBe(true);
    expect(ok(1, { lt: 1 })).toBe(false);
    expect(ok(2, { gt: 1 })).toBe(true);
    expect(ok(1, { gt: 1 })).toBe(false);
  });

  it('numeric conditions fail for anything that is not a finite number', () => {
    for (const value of ['5', Number.NaN, Number.POSITIVE_INFINITY, [5], { n: 5 }, true]) {
      expect(ok(value, { min: 1, max: 20 })).toBe(false);
    }
    expect(checkConstraint({ value: '5', constraint: { max: 20 } })).toEqual({
      ok: false,
      condition: 'must be a number (got "5")',
    });
  });

  it('pattern tests String(value) with an unanchored JS regex', () => {
    expect(ok('payments-db', { pattern: 'db' })).toBe(true);
    expect(ok('payments-db', { pattern: '^db$' })).toBe(false);
    expect(ok(42, { pattern: '^\\d+$' })).toBe(true);
    expect(ok('v2.13.4', { pattern: '^v\\d+\\.\\d+\\.\\d+$' })).toBe(true);
  });

  it('max_length counts characters of strings only', () => {
    expect(ok('abc', { max_length: 3 })).toBe(true);
    expect(ok('abcd', { max_length: 3 })).toBe(false);
    expect(ok(12, { max_length: 3 })).toBe(false);
  });

  it('every condition given must hold', () => {
    expect(ok(5, { min: 1, max: 20, not_in: [13] })).toBe(true);
    expect(ok(13, { min: 1, max: 20, not_in: [13] })).toBe(false);
  });

  it('a missing value meets no condition, not even not_in', () => {
    expect(checkConstraint({ value: undefined, constraint: { not_in: ['x'] } })).toEqual({
      ok: false,
      condition: 'is required but was not given',
    });
    expect(ok(null, { max_length: 10 })).toBe(false);
  });

  it('says which condition failed and what it got, keeping long values short', () => {
    const failed = checkConstraint({ value: 25, constraint: { min: 1, max: 20 } });
    expect(failed).toEqual({ ok: false, condition: 'must be at most 20 (got 25)' });
    const long = checkConstraint({ value: 'x'.repeat(500), constraint: { in: ['a'] } });
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.condition.length).toBeLessThan(120);
  });
});

describe('findConstraintViolation', () => {
  it('finds the first broken argument in name order, and null when all hold', () => {
    const constraints = { replicas: { max: 20 }, service: { pattern: '^[a-z-]+$' } };
    expect(
      findConstraintViolation({ args: { replicas: 3, service: 'api' }, constraints }).violation,
    ).toBeNull();
    expect(
      findConstraintViolation({ args: { replicas: 30, service: 'API!' }, constraints }).violation,
    ).toEqual({
      arg: 'replicas',
      condition: 'must be at most 20 (got 30)',
    });
    expect(findConstraintViolation({ args: {}, constraints: undefined }).violation).toBeNull();
  });

  it('does not take an inherited property for an argument', () => {
    const { violation } = findConstraintViolation({
      args: {},
      constraints: { toString: { max_length: 100 } },
    });
    expect(violation?.arg).toBe('toString');
  });
});

describe('matchesWhen', () => {
  it('matches when every condition matches; an absent when always matches', () => {
    expect(matchesWhen({ args: { replicas: 0 }, when: { replicas: { lt: 1 } } })).toBe(true);
    expect(matchesWhen({ args: { replicas: 2 }, when: { replicas: { lt: 1 } } })).toBe(false);
    expect(matchesWhen({ args: {}, when: { replicas: { lt: 1 } } })).toBe(false);
    expect(matchesWhen({ args: { a: 1 }, when: undefined })).toBe(true);
    expect(
      matchesWhen({
        args: { service: 'db', replicas: 0 },
        when: { service: { equals: 'db' }, replicas: { lt: 1 } },
      }),
    ).toBe(true);
  });
});

describe('describeConstraint', () => {
  it('reads as words', () => {
    expect(describeConstraint({ constraint: { min: 1, max: 20 } })).toBe('at least 1 and at most 20');
    expect(describeConstraint({ constraint: { in: ['a', 'b'] } })).toBe('one of "a", "b"');
  });
});
