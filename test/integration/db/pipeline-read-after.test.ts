import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { rawRowsOf } from '../../../src/db/pipeline.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';

/** `sendCommitAndRead`: reads that travel behind the COMMIT, seeing it (the guard's last check). */
describe.each(databaseKinds)('reads behind a commit on %s', (kind) => {
  const database = useTestDatabase(kind);
  const count = async () =>
    Number(rawRowsOf(await database.db.execute(sql`select count(*)::int as n from read_after_t`))[0]?.n);
  beforeEach(async () => {
    await database.db.execute(sql`create table read_after_t (id int primary key, v text not null)`);
  });

  it('commits the batch and returns what the reads saw after it', async () => {
    const { rows, read } = await database.pipelined(async (tx) => {
      await tx.send([sql`insert into read_after_t values (1, 'one')`]);
      return tx.sendCommitAndRead(
        [sql`insert into read_after_t values (2, 'two') returning id`],
        [sql`select count(*)::int as n from read_after_t`, sql`select v from read_after_t where id = 2`],
      );
    });
    expect(rows).toEqual([[{ id: 2 }]]);
    expect(read).toEqual([[{ n: 2 }], [{ v: 'two' }]]);
    expect(await count()).toBe(2);
  });

  it('commits a transaction of one statement before the reads behind it', async () => {
    const { rows, read } = await database.pipelined((tx) =>
      tx.sendCommitAndRead(
        [sql`insert into read_after_t values (1, 'one') returning id`],
        [sql`select count(*)::int as n from read_after_t`],
      ),
    );
    expect(rows).toEqual([[{ id: 1 }]]);
    expect(read).toEqual([[{ n: 1 }]]);
    expect(await count()).toBe(1);
  });

  it('commits nothing, and reads nothing, when a statement of the batch fails', async () => {
    const attempt = database.pipelined((tx) =>
      tx.sendCommitAndRead([sql`insert into read_after_t values (1, null)`], [sql`select 1 as one`]),
    );
    await expect(attempt).rejects.toThrow();
    expect(await count()).toBe(0);
  });

  it.runIf(kind === 'postgres')('keeps the commit when a read behind it fails, and says so', async () => {
    const { rows, read } = await database.pipelined((tx) =>
      tx.sendCommitAndRead(
        [sql`insert into read_after_t values (1, 'one') returning id`],
        [sql`select 1 / 0`],
      ),
    );
    expect(rows).toEqual([[{ id: 1 }]]);
    expect(read).toBeNull();
    expect(await count()).toBe(1);
    // The connection is fit for the next transaction (the read-only one was rolled back).
    await database.pipelined((tx) => tx.sendAndCommit([sql`insert into read_after_t values (2, 'two')`]));
    expect(await count()).toBe(2);
  });

  it.runIf(kind === 'pglite')(
    'fails the whole batch when a read fails (one connection: nothing commits)',
    async () => {
      const attempt = database.pipelined((tx) =>
        tx.sendCommitAndRead([sql`insert into read_after_t values (1, 'one')`], [sql`select 1 / 0`]),
      );
      await expect(attempt).rejects.toThrow('the reads after the commit failed');
      expect(await count()).toBe(0);
    },
  );
});
