import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeadlineError, deadlineIn, withDeadline } from '../../../src/db/deadline.ts';
import { PipelineStatementError, type PipelineTx, rawRowsOf } from '../../../src/db/pipeline.ts';
import { createSharedPipeline } from '../../../src/db/shared-pipeline.ts';
import { shareableRead } from '../../../src/db/shared-step.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';

type Work = (tx: PipelineTx) => Promise<{ txid: string; seen: number }>;

/** A work that writes its row in one step and commits in the next, telling which transaction it ran in. */
const writing =
  (id: number): Work =>
  async (tx) => {
    const [[row]] = (await tx.send([
      sql`insert into shared_t values (${id}, ${`v${id}`}) returning txid_current()::text as txid`,
    ])) as [[{ txid: string }]];
    const [seen] = await tx.sendAndCommit([sql`select count(*)::int as n from shared_t where id = ${id}`]);
    return { txid: row.txid, seen: Number(seen?.[0]?.n) };
  };

describe.each(databaseKinds)('works sharing a pipelined transaction on %s', (kind) => {
  const database = useTestDatabase(kind);
  const ids = async () =>
    rawRowsOf(await database.db.execute(sql`select id from shared_t order by id`)).map((r) => Number(r.id));
  beforeEach(async () => {
    await database.db.execute(sql`create table shared_t (id int primary key, v text not null)`);
  });

  it('runs works queued together in one transaction, each with its own rows, and commits them all', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined });
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => shared.run({ keys: [], work: writing(i + 1) })),
    );
    expect(outcomes.every((o) => o.seen === 1)).toBe(true);
    // Fewer transactions than works: they were shared.
    expect(new Set(outcomes.map((o) => o.txid)).size).toBeLessThan(12);
    expect(await ids()).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('tells every work when the shared transaction cannot begin', async () => {
    const away = Object.assign(new Error('the database is away'), { code: 'CONNECTION_CLOSED' });
    const shared = createSharedPipeline({ pipelined: () => Promise.reject(away) });
    const outcomes = await Promise.allSettled(
      [1, 2].map((id) => shared.run({ keys: [], work: writing(id) })),
    );
    expect(outcomes.map((o) => (o as PromiseRejectedResult).reason)).toEqual([away, away]);
  });

  it('never puts two works with the same key in one transaction', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined });
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        shared.run({ keys: [`agent:${i % 2}`], work: writing(i + 1) }).then((o) => ({ ...o, key: i % 2 })),
      ),
    );
    for (const key of [0, 1]) {
      const txids = outcomes.filter((o) => o.key === key).map((o) => o.txid);
      expect(new Set(txids).size).toBe(txids.length);
    }
    expect(await ids()).toHaveLength(8);
  });

  it('starts a work only once no batch in flight holds its key', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined, maxInFlight: 2 });
    const events: string[] = [];
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const first = shared.run({
      keys: ['run:a'],
      work: async (tx) => {
        events.push('first began');
        await tx.send([sql`insert into shared_t values (1, 'one')`]);
        await gate;
        await tx.sendAndCommit([]);
        events.push('first committed');
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = shared.run({
      keys: ['run:a'],
      work: async (tx) => {
        events.push('second began');
        await tx.sendAndCommit([sql`insert into shared_t values (2, 'two')`]);
      },
    });
    // Time enough for a second batch to begin, were it allowed to.
    await new Promise((resolve) => setTimeout(resolve, 100));
    open();
    await Promise.all([first, second]);
    expect(events).toEqual(['first began', 'first committed', 'second began']);
    expect(await ids()).toEqual([1, 2]);
  });

  it('sends a shareable read asked for by several members once, after each one’s own statements', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined });
    const counting = (id: number, mark: boolean) =>
      shared.run({
        keys: [],
        work: async (tx) => {
          const read = sql`select count(*)::int as n from shared_t`;
          const [, rows] = await tx.send([
            sql`insert into shared_t values (${id}, 'x')`,
            mark ? shareableRead(read) : read,
          ]);
          await tx.sendAndCommit([]);
          return Number(rows?.[0]?.n);
        },
      });
    // Sent once, last: every member sees all three inserts.
    expect(await Promise.all([1, 2, 3].map((id) => counting(id, true)))).toEqual([3, 3, 3]);
    // Unmarked, each member's read runs where it asked for it.
    expect(await Promise.all([4, 5, 6].map((id) => counting(id, false)))).toEqual([4, 5, 6]);
  });

  it('decides again alone the members of a shareable read that failed, each with its own error', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined });
    let runs = 0;
    const failing = (id: number) =>
      shared.run({
        keys: [],
        work: async (tx) => {
          runs += 1;
          await tx.send([sql`insert into shared_t values (${id}, 'x')`, shareableRead(sql`select 1 / 0`)]);
          return tx.sendAndCommit([]);
        },
      });
    const outcomes = await Promise.allSettled([failing(1), failing(2)]);
    for (const outcome of outcomes) {
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(PipelineStatementError);
      expect((error as PipelineStatementError).index).toBe(1);
    }
    expect(runs).toBe(4);
    expect(await ids()).toEqual([]);
  });

  it('fails only the work whose statement failed, with its own index; the others commit once', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined });
    let runs = 0;
    const counted: Work = async (tx) => {
      runs += 1;
      return writing(2)(tx);
    };
    const failing: Work = async (tx) => {
      await tx.send([sql`insert into shared_t values (3, 'three')`]);
      await tx.sendAndCommit([sql`select 1`, sql`insert into shared_t values (4, null)`]);
      return { txid: '', seen: 0 };
    };
    const [first, second, third] = await Promise.allSettled([
      shared.run({ keys: [], work: writing(1) }),
      shared.run({ keys: [], work: counted }),
      shared.run({ keys: [], work: failing }),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('fulfilled');
    expect(third.status).toBe('rejected');
    const error = (third as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(PipelineStatementError);
    expect((error as PipelineStatementError).index).toBe(1);
    // The shared transaction rolled back, so the others ran again alone.
    expect(runs).toBe(2);
    expect(await ids()).toEqual([1, 2]);
  });

  it('rolls back a work that throws between its steps, and the others still commit', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined });
    const throwing: Work = async (tx) => {
      await tx.send([sql`insert into shared_t values (9, 'nine')`]);
      throw new Error('the work changed its mind');
    };
    const outcomes = await Promise.allSettled([
      shared.run({ keys: [], work: writing(1) }),
      shared.run({ keys: [], work: throwing }),
      shared.run({ keys: [], work: writing(2) }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain('changed its mind');
    expect(await ids()).toEqual([1, 2]);
  });

  it('refuses a work past its deadline, commits nothing of it, and commits the others', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined });
    const late = withDeadline(deadlineIn({ ms: 0, what: 'a late request' }), () =>
      shared.run({ keys: [], work: writing(5) }),
    );
    const outcomes = await Promise.allSettled([shared.run({ keys: [], work: writing(1) }), late]);
    expect(outcomes[0].status).toBe('fulfilled');
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(DeadlineError);
    expect(await ids()).toEqual([1]);
  });

  it('reads behind the shared COMMIT see every work it committed', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined });
    const reading = (id: number) =>
      shared.run({
        keys: [],
        work: (tx) =>
          tx.sendCommitAndRead(
            [sql`insert into shared_t values (${id}, 'x')`],
            [sql`select count(*)::int as n from shared_t`],
          ),
      });
    const plain = shared.run({
      keys: [],
      work: (tx) => tx.sendAndCommit([sql`insert into shared_t values (7, 'x')`]),
    });
    const [a, b] = await Promise.all([reading(1), reading(2), plain]);
    expect(a.read?.[0]?.[0]?.n).toBe(3);
    expect(b.read?.[0]?.[0]?.n).toBe(3);
  });

  it('fails a work that ends without its COMMIT, and commits nothing of it', async () => {
    const shared = createSharedPipeline({ pipelined: database.pipelined });
    const unfinished: Work = async (tx) => {
      await tx.send([sql`insert into shared_t values (8, 'eight')`]);
      return { txid: '', seen: 0 };
    };
    const outcomes = await Promise.allSettled([
      shared.run({ keys: [], work: unfinished }),
      shared.run({ keys: [], work: writing(1) }),
    ]);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toContain('without its COMMIT');
    expect(outcomes[1].status).toBe('fulfilled');
    expect(await ids()).toEqual([1]);
  });
});
