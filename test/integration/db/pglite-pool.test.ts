import type { PGlite } from '@electric-sql/pglite';
import { describe, expect, it, vi } from 'vitest';
import { borrowPglite } from '../../helpers/pglite-pool.ts';

/**
 * The test helper that lends each test an embedded database and empties it for the next: the suite's
 * isolation rests on it, so a test that leaves rows, settings, locks, listens or a changed schema must
 * leave none of them to the next.
 */
describe('the PGlite databases lent to tests', () => {
  const hit = (pg: PGlite, agent: string) =>
    pg.query<{ id: string }>(
      `insert into breaker_hits (agent, breaker, key, at) values ($1, 'rate', 'k', now()) returning id::text`,
      [agent],
    );

  it('lends the same database again, with no rows and its sequences restarted', async () => {
    const first = await borrowPglite();
    const xid = async (pg: PGlite) =>
      Number((await pg.query<{ x: string }>('select txid_current()::text as x')).rows[0]!.x);
    const before = await xid(first.pg);
    await hit(first.pg, 'a');
    await hit(first.pg, 'b');
    await first.giveBack();

    const second = await borrowPglite();
    // A new copy of the template would start from the template's transaction id.
    expect(await xid(second.pg)).toBeGreaterThan(before);
    expect((await second.pg.query('select * from breaker_hits')).rows).toEqual([]);
    expect((await hit(second.pg, 'c')).rows).toEqual([{ id: '1' }]);
    await second.giveBack();
  });

  it('refuses every call through a database once it is given back, and takes it back once', async () => {
    const { pg, giveBack } = await borrowPglite();
    await Promise.all([giveBack(), giveBack()]);
    await giveBack();
    expect(pg.closed).toBe(true);
    await expect(hit(pg, 'late')).rejects.toThrow(/the test that had this database is over/);
    await expect(pg.exec('select 1')).rejects.toThrow(/is over/);

    // Two tests at once get two databases, not the one given back twice.
    const [next, other] = await Promise.all([borrowPglite(), borrowPglite()]);
    await hit(next.pg, 'next');
    expect((await other.pg.query('select agent from breaker_hits')).rows).toEqual([]);
    await Promise.all([next.giveBack(), other.giveBack()]);
  });

  it('ends a transaction, the settings, the locks and the listens a test left', async () => {
    const first = await borrowPglite();
    const heard: string[] = [];
    await first.pg.listen('pool_test', (payload) => heard.push(payload));
    await first.pg.exec(`set statement_timeout = '1234ms'; select pg_advisory_lock(42)`);
    await first.pg.exec(
      `begin; insert into breaker_hits (agent, breaker, key, at) values ('open', 'r', 'k', now())`,
    );
    await first.giveBack();

    const second = await borrowPglite();
    expect((await second.pg.query('show statement_timeout')).rows).toEqual([{ statement_timeout: '0' }]);
    expect((await second.pg.query('select pg_try_advisory_lock(42) as got')).rows).toEqual([{ got: true }]);
    expect((await second.pg.query('select * from breaker_hits')).rows).toEqual([]);
    // The next test listens on the same channel: only its own handler hears.
    const heardNext: string[] = [];
    await second.pg.listen('pool_test', (payload) => heardNext.push(payload));
    await second.pg.exec(`notify pool_test, 'for the next test'`);
    // Both handlers of a channel hear a notification in the same dispatch: once the new one has, the old
    // one would have too.
    await vi.waitFor(() => expect(heardNext).toEqual(['for the next test']), { timeout: 10_000 });
    expect(heard).toEqual([]);
    await second.giveBack();
  });

  it('never lends again a database whose schema a test changed, or that it closed', async () => {
    const changed = await borrowPglite();
    await changed.pg.exec('create table pool_extra (id int)');
    await changed.giveBack();
    const next = await borrowPglite();
    expect((await next.pg.query(`select to_regclass('pool_extra') as t`)).rows).toEqual([{ t: null }]);

    await next.pg.close();
    await next.giveBack();
    const after = await borrowPglite();
    expect(after.pg.closed).toBe(false);
    expect((await after.pg.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await after.giveBack();
  });

  it('keeps what a test set on its database (a tracer) to that test', async () => {
    const first = await borrowPglite();
    const seen: string[] = [];
    const query = first.pg.query.bind(first.pg);
    first.pg.query = ((text: string, ...rest: []) => {
      seen.push(text);
      return query(text, ...rest);
    }) as PGlite['query'];
    await first.pg.query('select 1');
    await first.giveBack();

    const second = await borrowPglite();
    await second.pg.query('select 2');
    expect(seen).toEqual(['select 1']);
    await second.giveBack();
  });
});
