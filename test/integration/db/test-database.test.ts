import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { rawRowsOf } from '../../../src/db/pipeline.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';

/**
 * The tests of a describe share one Postgres database (see useTestDatabase): each must still find it as the
 * migrations left it, whatever the one before did. The tests run in order; each checks what the last left.
 */
describe.each(databaseKinds)('the test database between tests on %s', (kind) => {
  const database = useTestDatabase(kind);
  const rows = async (query: ReturnType<typeof sql>) => rawRowsOf(await database.db.execute(query));
  const hit = sql`insert into breaker_hits (agent, breaker, key, at) values ('ops', 'rate', '*', now()) returning id::int as id`;
  let held: postgres.Sql | undefined;

  it('is written to: rows, a used sequence, a changed schema, an open transaction holding a lock', async () => {
    await rows(hit);
    expect(await rows(hit)).toEqual([{ id: 2 }]);
    await database.db.execute(sql`insert into kill_switches (scope, engaged) values ('*', true)`);
    await database.db.execute(
      sql`alter table audit_events add constraint refuse_all check (seq < 0) not valid`,
    );
    if (database.url) {
      held = postgres(database.url, { max: 1, onnotice: () => {} });
      await held`begin`;
      await held`lock table kill_switches in access exclusive mode`;
    }
  });

  it('is empty again, its sequences restart, its schema is the migrated one and no lock is left', async () => {
    expect(await rows(sql`select * from kill_switches`)).toEqual([]);
    expect(await rows(hit)).toEqual([{ id: 1 }]);
    expect(await rows(sql`select conname from pg_constraint where conname = 'refuse_all'`)).toEqual([]);
    await held?.end({ timeout: 0 }).catch(() => {});
  });

  it('is written to with the audit triggers switched off and back on, as a tampering test does', async () => {
    await database.db.execute(sql`alter table audit_events disable trigger user`);
    await database.db.execute(sql`alter table audit_events enable trigger user`);
    await rows(hit);
  });

  it('is empty again, and the audit table still refuses TRUNCATE', async () => {
    expect(await rows(sql`select * from breaker_hits`)).toEqual([]);
    await expect(database.db.execute(sql`truncate audit_events`)).rejects.toThrow();
  });
});
