import net from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectPostgres, type Database } from '../../../src/db/client.ts';
import { sandboxIncidents } from '../../../src/tools/sandbox/sandbox.table.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';

/**
 * drizzle sends its statements unprepared, and postgres.js sends an unprepared statement with parameters
 * in two round trips (Parse + Describe, then Bind + Execute). Warden's pool prepares them, so a statement
 * the connection has seen before costs one write and one round trip.
 */
describe.skipIf(!databaseKinds.includes('postgres'))('statements with parameters on Postgres', () => {
  const database = useTestDatabase('postgres');
  let warden: Database;
  beforeEach(async () => {
    warden = connectPostgres({ url: database.url!, max: 1 });
    await warden.db.execute(sql`select 1`);
  });
  afterEach(async () => {
    await warden.close();
  });

  /** Socket writes while `work` runs: one per flush the driver makes, so one per round trip it waits. */
  async function writesOf(work: () => Promise<unknown>): Promise<number> {
    const original = net.Socket.prototype.write;
    let writes = 0;
    net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
      writes += 1;
      return (original as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof original;
    try {
      await work();
    } finally {
      net.Socket.prototype.write = original;
    }
    return writes;
  }

  it('go out in one round trip once the connection has prepared them', async () => {
    const read = (id: string) => warden.db.select().from(sandboxIncidents).where(eq(sandboxIncidents.id, id));
    await read('INC-1');
    expect(await writesOf(() => read('INC-2'))).toBe(1);
    expect(await writesOf(() => read('INC-3'))).toBe(1);
  });

  // The driver flushed every KiB, and a read-only transaction followed each COMMIT (its ROLLBACK one more
  // write): a batch like this went out in 7 writes.
  it('a pipelined transaction of several KiB goes out in one write, and nothing follows its COMMIT', async () => {
    await warden.db.execute(sql`create table wide_t (id int primary key, v text not null)`);
    const batch = (from: number) =>
      warden.pipelined((tx) =>
        tx.sendAndCommit(
          Array.from(
            { length: 8 },
            (_, i) => sql`insert into wide_t values (${from + i}, ${'x'.repeat(600)})`,
          ),
        ),
      );
    await batch(0);
    const writes = await writesOf(async () => {
      await batch(100);
      await new Promise((resolve) => setTimeout(resolve, 100));
    });
    expect(writes).toBe(1);
    const [row] = (await warden.db.execute(sql`select count(*)::int as n from wide_t`)) as unknown as {
      n: number;
    }[];
    expect(row?.n).toBe(16);
  });
});
