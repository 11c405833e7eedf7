import { getTableColumns, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { encodedRowOf, listColumnsOf, placeholdersFor, prepareOnce } from '../../../src/db/prepared.ts';
import { proposals } from '../../../src/proposals/proposals.table.ts';

const INSERT = prepareOnce<Record<string, unknown>>((db) =>
  db.insert(proposals).values(placeholdersFor(proposals)).returning().getSQL(),
);

describe('statements prepared once', () => {
  it('encodes a row for every column in order: its own value (null, false and 0 kept), else the default, else null', () => {
    const at = new Date('2026-12-06T09:00:00Z');
    const params = encodedRowOf(proposals, {
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
      createdAt: at,
      runId: null,
      approvalsRequired: 2,
      tainted: true,
    });
    const columns = listColumnsOf(proposals).map((c) => c.name);
    expect(params).toHaveLength(columns.length);
    const param = (column: string) => params[columns.indexOf(column)];
    expect([param('id'), param('run_id'), param('approvals_required'), param('tainted')]).toEqual([
      'prp_1',
      null,
      2,
      true,
    ]);
    // jsonb as JSON text, a timestamp as the ISO string drizzle sends.
    expect([param('args'), param('created_at')]).toEqual(['{"incident_id":"INC-1"}', at.toISOString()]);
    // Left out: the column's default, or null when it has none.
    expect([param('slack_card_attempts'), param('rule'), param('expires_at')]).toEqual([0, null, null]);
    const kept = encodedRowOf(proposals, { approvalsRequired: 0, tainted: false } as never);
    expect([kept[columns.indexOf('approvals_required')], kept[columns.indexOf('tainted')]]).toEqual([
      0,
      false,
    ]);
  });

  it('fills each placeholder with its column’s encoding, the same text every call', () => {
    const at = new Date('2026-12-06T09:00:00Z');
    const empty = Object.fromEntries(Object.keys(getTableColumns(proposals)).map((key) => [key, null]));
    const base = { ...empty, id: 'prp_1', args: { n: 1 }, createdAt: at };
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
