import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { startWalMeter, walText } from '../../../bench/lib/wal.ts';
import { testPostgresUrl } from '../../helpers/postgres.ts';

describe("the bench's WAL meter", () => {
  it.skipIf(!testPostgresUrl)(
    'reads at least the WAL the rows written since it started took, per row',
    async () => {
      const sql = postgres(testPostgresUrl ?? '', { max: 1, onnotice: () => {} });
      const schema = `wal_meter_${randomBytes(6).toString('hex')}`;
      try {
        await sql.unsafe(
          `create schema ${schema}; create table ${schema}.rows (id serial primary key, body text)`,
        );
        const per = await startWalMeter(sql);
        // 20 rows of 2,000 random characters (which do not compress): each writes at least that much WAL.
        for (let i = 0; i < 20; i += 1)
          await sql.unsafe(`insert into ${schema}.rows (body) values ($1)`, [
            randomBytes(1_000).toString('hex'),
          ]);
        const bytes = await per(20);
        // At least each row's own (other sessions of the server may write WAL meanwhile too).
        expect(bytes).toBeGreaterThanOrEqual(2_000);
      } finally {
        await sql.unsafe(`drop schema if exists ${schema} cascade`);
        await sql.end({ timeout: 5 });
      }
    },
  );

  it('says what it measured, or that it measured nothing', async () => {
    expect(walText(8_806)).toBe('8.6 KB of WAL');
    expect(walText(null)).toBe('WAL not measured');
  });
});
