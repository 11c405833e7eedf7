import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import type { Database } from '../../../src/db/client.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { createTestAuditLog, storedSeqs } from './audit.helpers.ts';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Two pools stand for two Warden instances; PGlite is one connection, so this runs on Postgres only.
describe.skipIf(!databaseKinds.includes('postgres'))(
  'audit chain under concurrent writers (postgres)',
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

    it('100 concurrent appends from two instances form one chain, seq 1..100', async () => {
      const first = createTestAuditLog();
      const second = createTestAuditLog();
      const appends = range(1, 100).map((n) => {
        const [instance, { log }] = n % 2 ? [database, first] : [other, second];
        return log.appendNow(instance.db, {
          actor: `instance_${n % 2}`,
          action: 'proposal.decided',
          details: { n },
        });
      });
      const events = await Promise.all(appends);

      expect(events.map((e) => e.seq).sort((a, b) => a - b)).toEqual(range(1, 100));
      expect(await storedSeqs(database.db)).toEqual(range(1, 100));
      const result = await verifyAuditChain({ db: other.db, batchSize: 13 });
      expect(result).toMatchObject({ ok: true, count: 100, head: { seq: 100 } });
    });

    it('concurrent transactions that roll back leave no gap, and verify meanwhile sees a whole prefix', async () => {
      const { log } = createTestAuditLog();
      const attempts = range(1, 60).map((n) => {
        const instance = n % 2 ? database : other;
        return instance.db.transaction(async (tx) => {
          await log.append(tx, { actor: 'warden', action: 'execution.started', details: { n } });
          if (n % 3 === 0) throw new Error(`step ${n} failed`);
        });
      });
      const verifying = verifyAuditChain({ db: database.db, batchSize: 5 });
      const outcomes = await Promise.allSettled(attempts);

      const failed = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
      expect(failed).toHaveLength(20);
      for (const f of failed) expect((f.reason as Error).message).toMatch(/^step \d+ failed$/);
      expect((await verifying).ok).toBe(true);
      expect(await storedSeqs(database.db)).toEqual(range(1, 140));
      expect(await verifyAuditChain({ db: database.db })).toMatchObject({ ok: true, count: 140 });
    });
  },
);
