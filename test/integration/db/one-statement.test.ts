import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { oneStatementOf } from '../../../src/db/one-statement.ts';
import { rawRowsOf } from '../../../src/db/pipeline.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';

/** Several writes as one statement (`oneStatementOf`): the guard's finish of a successful call. */
describe.each(databaseKinds)('statements run as one on %s', (kind) => {
  const database = useTestDatabase(kind);
  const rows = async (table: string) =>
    rawRowsOf(await database.db.execute(sql.raw(`select * from ${table} order by id`)));
  beforeEach(async () => {
    await database.db.execute(sql`create table one_a (id int primary key, state text not null)`);
    await database.db.execute(sql`create table one_b (id serial primary key, note text not null,
      at timestamptz not null)`);
    await database.db.execute(sql`create table one_c (id int primary key, n int not null)`);
    await database.db.execute(sql`insert into one_a values (1, 'running'), (2, 'running')`);
    await database.db.execute(sql`insert into one_c values (1, 5)`);
  });

  const members = (id: number) => [
    {
      statement: sql`update one_a set state = ${'done'} where id = ${id} and state = ${'running'} returning *`,
      rows: true,
    },
    { statement: sql`update one_c set n = ${0} where id = ${1}`, rows: false },
    {
      statement: sql`insert into one_b (note, at) values (${`a note on ${id}`}, ${'2026-12-07T10:00:00Z'})
        returning id, note, at`,
      rows: true,
    },
  ];
  const runOne = async (statement: ReturnType<typeof oneStatementOf>['statement']) => {
    const [sent = []] = await database.pipelined((tx) => tx.sendAndCommit([statement]));
    return sent;
  };

  it('writes every member and gives back each one’s rows, its parameters numbered on', async () => {
    const one = oneStatementOf(members(1), { required: 0 });
    expect(one.statement.params).toHaveLength(7);
    expect(one.statement.text).toContain('$7');
    const split = one.split(await runOne(one.statement));
    expect(split[0]).toEqual([{ id: 1, state: 'done' }]);
    expect(split[1]).toEqual([]);
    expect(split[2]).toMatchObject([{ id: 1, note: 'a note on 1' }]);
    expect(new Date(split[2]?.[0]?.at as string).toISOString()).toBe('2026-12-07T10:00:00.000Z');
    expect(await rows('one_a')).toEqual([
      { id: 1, state: 'done' },
      { id: 2, state: 'running' },
    ]);
    expect(await rows('one_c')).toEqual([{ id: 1, n: 0 }]);
    expect(await rows('one_b')).toHaveLength(1);
  });

  it('gives a second call of the same statements the same text, with its own values', async () => {
    const first = oneStatementOf(members(1), { required: 0 });
    const second = oneStatementOf(members(2), { required: 0 });
    expect(second.statement.text).toBe(first.statement.text);
    expect(oneStatementOf(members(2)).statement.text).not.toBe(first.statement.text);
    await runOne(first.statement);
    expect(second.split(await runOne(second.statement))[2]).toMatchObject([{ id: 2, note: 'a note on 2' }]);
    expect((await rows('one_a')).map((r) => r.state)).toEqual(['done', 'done']);
  });

  it('writes nothing at all when the required member changed no row', async () => {
    await database.db.execute(sql`update one_a set state = 'settled elsewhere' where id = 2`);
    const one = oneStatementOf(members(2), { required: 0 });
    await expect(runOne(one.statement)).rejects.toThrow(/division by zero/);
    expect(await rows('one_c')).toEqual([{ id: 1, n: 5 }]);
    expect(await rows('one_b')).toEqual([]);
  });

  it('writes nothing at all when any member fails', async () => {
    const failing = [...members(1), { statement: sql`insert into one_c values (${1}, ${9})`, rows: false }];
    await expect(runOne(oneStatementOf(failing).statement)).rejects.toThrow();
    expect((await rows('one_a')).map((r) => r.state)).toEqual(['running', 'running']);
    expect(await rows('one_c')).toEqual([{ id: 1, n: 5 }]);
    expect(await rows('one_b')).toEqual([]);
  });

  it('refuses to require a member whose rows it does not read', () => {
    expect(() => oneStatementOf(members(1), { required: 1 })).toThrow(/required member/);
  });
});
