import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import type { Database } from '../../../src/db/client.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import {
  createTestAuditLog,
  errorOf,
  link,
  storedSeqs,
  testChainer,
  unlinkedCount,
} from './audit.helpers.ts';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

type Linked = { seq: number; writer: string; n: number };

/** Every linked event's seq with the writer and step its details name, in seq order. */
async function linkedByWriter(database: Database): Promise<Linked[]> {
  const result = await database.db.execute(sql`select seq::int as seq, details->>'writer' as writer,
    (details->>'n')::int as n from audit_events where seq is not null order by audit_events.seq`);
  return (result as unknown as Linked[]).map((row) => ({ ...row, seq: Number(row.seq), n: Number(row.n) }));
}

/** Each writer's steps in the order they were linked must be the order that writer committed them. */
function expectEachWriterInCommitOrder(events: Linked[]) {
  const byWriter = new Map<string, number[]>();
  for (const event of events) byWriter.set(event.writer, [...(byWriter.get(event.writer) ?? []), event.n]);
  for (const [writer, steps] of byWriter) {
    expect({ writer, steps }).toEqual({ writer, steps: [...steps].sort((a, b) => a - b) });
  }
}

// Two pools stand for two Warden instances; PGlite is one connection, so this runs on Postgres only.
describe.skipIf(!databaseKinds.includes('postgres'))(
  'audit chain under concurrent writers and chainers (postgres)',
  () => {
    let database: TestDatabase;
    let other: Database;
    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      other = database.connectAnother();
    });
    afterAll(async () => {
      await database.drop();
    });

    it('10 writers on two instances, each instance with its chainer: one chain, each event linked once, in commit order', async () => {
      const first = createTestAuditLog({ db: database.db });
      const second = createTestAuditLog({ db: other.db });
      first.chainer!.start();
      second.chainer!.start();
      try {
        const writers = range(1, 10).map(async (w) => {
          const [instance, { log }] = w % 2 ? [database, first] : [other, second];
          for (const n of range(1, 10)) {
            await log.appendNow(instance.db, {
              actor: `instance_${w % 2}`,
              action: 'proposal.decided',
              details: { writer: `w${w}`, n },
            });
          }
        });
        await Promise.all(writers);
        // Nobody links by hand: the writers' nudges and the sweeps do.
        await waitFor(async () => (await unlinkedCount(database.db)) === 0, { what: 'every event linked' });
      } finally {
        await first.chainer!.stop();
        await second.chainer!.stop();
      }
      expect(await storedSeqs(database.db)).toEqual(range(1, 100));
      expectEachWriterInCommitOrder(await linkedByWriter(database));
      const result = await verifyAuditChain({ db: other.db, batchSize: 13 });
      expect(result).toMatchObject({ ok: true, count: 100, head: { seq: 100 } });
    });

    it('chainers racing on two instances while writers write never link an event twice or skip one', async () => {
      const { log } = createTestAuditLog();
      const chainers = [testChainer(database.db), testChainer(other.db)];
      let writing = true;
      const racing = chainers.map(async (chainer) => {
        let linked = 0;
        while (writing) linked += await chainer.linkNow();
        return linked;
      });
      await Promise.all(
        range(1, 6).map(async (w) => {
          const instance = w % 2 ? database : other;
          for (const n of range(1, 20)) {
            await log.appendNow(instance.db, {
              actor: 'warden',
              action: 'step',
              details: { writer: `r${w}`, n },
            });
          }
        }),
      );
      writing = false;
      const linkedByChainers = (await Promise.all(racing)).reduce((a, b) => a + b, 0);
      const rest = await link(database.db);
      expect(linkedByChainers + rest).toBe(120);
      expect(await storedSeqs(database.db)).toEqual(range(1, 220));
      expectEachWriterInCommitOrder(
        (await linkedByWriter(database)).filter((e) => e.writer?.startsWith('r')),
      );
      expect(await verifyAuditChain({ db: database.db })).toMatchObject({ ok: true, count: 220 });
    });

    it('an instance that dies mid-batch links nothing; the next chainer links those events once', async () => {
      const { log } = createTestAuditLog();
      for (const n of range(1, 5))
        await log.appendNow(database.db, { actor: 'warden', action: 'dying', details: { n } });
      const url = database.url!;
      const blocker = postgres(url, { max: 2, onnotice: () => {} });
      const doomed = database.connectAnother();
      try {
        // Hold the unlinked rows so the doomed chainer stops inside its update, holding the chain lock.
        const held = await blocker.reserve();
        await held.unsafe('begin');
        await held.unsafe('select id from audit_events where seq is null for update');
        const dying = testChainer(doomed.db).linkNow();
        dying.catch(() => {});
        const [victim] = await waitFor(
          async () => {
            const rows = await blocker.unsafe(`select pid from pg_stat_activity
              where wait_event_type = 'Lock' and query like 'update audit_events%'`);
            return rows.length > 0 ? rows : null;
          },
          { what: 'the chainer waiting in its update' },
        );
        await blocker.unsafe('select pg_terminate_backend($1)', [victim!.pid]);
        expect(await errorOf(dying)).toBeInstanceOf(Error);
        await held.unsafe('rollback');
        held.release();
        expect(await unlinkedCount(database.db)).toBe(5);
        expect(await link(other.db)).toBe(5);
      } finally {
        await blocker.end({ timeout: 5 });
      }
      expect(await storedSeqs(database.db)).toEqual(range(1, 225));
      expect(await verifyAuditChain({ db: database.db })).toMatchObject({ ok: true, count: 225 });
    });

    it('concurrent transactions that roll back leave no gap, and verify meanwhile sees a whole prefix', async () => {
      const { log } = createTestAuditLog({ db: database.db });
      const attempts = range(1, 60).map((n) => {
        const instance = n % 2 ? database : other;
        return instance.db.transaction(async (tx) => {
          await log.append(tx, { actor: 'warden', action: 'execution.started', details: { n } });
          if (n % 3 === 0) throw new Error(`step ${n} failed`);
        });
      });
      const verifying = verifyAuditChain({ db: database.db, batchSize: 5, boundMs: 5_000 });
      const outcomes = await Promise.allSettled(attempts);

      const failed = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
      expect(failed).toHaveLength(20);
      for (const f of failed) expect((f.reason as Error).message).toMatch(/^step \d+ failed$/);
      expect((await verifying).ok).toBe(true);
      await link(database.db);
      expect(await storedSeqs(database.db)).toEqual(range(1, 265));
      expect(await verifyAuditChain({ db: database.db })).toMatchObject({ ok: true, count: 265 });
    });
  },
);
