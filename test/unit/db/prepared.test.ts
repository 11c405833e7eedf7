import { getTableColumns, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { placeholdersFor, prepareOnce, withColumnDefaults } from '../../../src/db/prepared.ts';
import { proposals } from '../../../src/proposals/proposals.table.ts';

const INSERT = prepareOnce<Record<string, unknown>>((db) =>
  db.insert(proposals).values(placeholdersFor(proposals)).returning().getSQL(),
);

describe('statements prepared once', () => {
  it('gives every column a value: the row’s own (null, false and 0 kept), else its default, else null', () => {
    const values = withColumnDefaults(proposals, {
      id: 'prp_1',
      agent: 'triage',
      tool: 'get_incident',
      args: { incident_id: 'INC-1' },
      environment: 'staging',
      charterHash: 'c',
      actionHash: 'a',
      state: 'denied',
      decision: 'deny',
      reasonCode: 'r',
      reason: 'why',
      requester: 'U1',
      source: 'planner',
      idempotencyKey: 'idem_prp_1',
      createdAt: new Date('2026-12-06T09:00:00Z'),
      runId: null,
      approvalsRequired: 2,
      tainted: true,
    });
    expect(Object.keys(values)).toEqual(Object.keys(getTableColumns(proposals)));
    expect(values).toMatchObject({ id: 'prp_1', runId: null, approvalsRequired: 2, tainted: true });
    // Left out: the column's default, or null when it has none.
    expect(values).toMatchObject({ slackCardAttempts: 0, rule: null, expiresAt: null });
    const kept = withColumnDefaults(proposals, { approvalsRequired: 0, tainted: false } as never);
    expect(kept).toMatchObject({ approvalsRequired: 0, tainted: false });
  });

  it('fills each placeholder with its column’s encoding, the same text every call', () => {
    const at = new Date('2026-12-06T09:00:00Z');
    const base = withColumnDefaults(proposals, { id: 'prp_1', args: { n: 1 }, createdAt: at } as never);
    const first = INSERT(base);
    const second = INSERT({ ...base, id: 'prp_2', args: { n: 2 } });
    expect(second.text).toBe(first.text);
    const columns = Object.keys(getTableColumns(proposals));
    const param = (statement: typeof first, column: string) => statement.params[columns.indexOf(column)];
    expect(param(first, 'id')).toBe('prp_1');
    expect(param(second, 'id')).toBe('prp_2');
    // jsonb as JSON text, a timestamp as the ISO string drizzle sends, a missing value as NULL.
    expect(param(first, 'args')).toBe('{"n":1}');
    expect(param(second, 'args')).toBe('{"n":2}');
    expect(param(first, 'createdAt')).toBe(at.toISOString());
    expect(param(first, 'expiresAt')).toBeNull();
  });

  it('passes a constant in the statement through unchanged', () => {
    const statement = prepareOnce<{ name: string }>(
      () => sql`select ${sql.placeholder('name')} as name, ${42} as answer`,
    );
    expect(statement({ name: 'x' }).params).toEqual(['x', 42]);
    expect(statement({} as never).params).toEqual([null, 42]);
  });
});
