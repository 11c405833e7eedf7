import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/audit/audit.rows.ts';
import type { Db } from '../../../src/db/client.ts';
import { type AuditCountRow, countAuditByAgent } from '../../../src/observability/figures.repository.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { createTestAuditLog, link } from '../audit/audit.helpers.ts';

const HOUR = 3_600_000;

/** What the figures counted before the hourly counts: every event in the window, read from the trail. */
async function scanned(db: Db, since: Date, until: Date): Promise<AuditCountRow[]> {
  return rowsOf<AuditCountRow>(
    await db.execute(sql`select agent, action, decision, reason_code as reason, count(*)::int as n,
      coalesce(sum(case when action = 'run.step' and jsonb_typeof(details->'tokens') = 'number'
        then (details->>'tokens')::float8 else 0 end), 0)::float8 as tokens
      from audit_events where at >= ${since.toISOString()}::timestamptz and at <= ${until.toISOString()}::timestamptz
        and agent is not null
        and action in ('run.started', 'run.step', 'proposal.decided', 'execution.succeeded', 'alert.raised')
      group by agent, action, decision, reason_code`),
  ).map((r) => ({ ...r, n: Number(r.n), tokens: Number(r.tokens) }));
}

const sorted = (rows: AuditCountRow[]) =>
  [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe.each(databaseKinds)('per-agent counts from the hourly counts on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('equal a scan of the trail over a window of whole and partial hours, each event counted once', async () => {
    const { db } = database;
    const { log, clock } = createTestAuditLog();
    // 30 hours of events, one every 37 minutes, on two agents, some of them run steps with tokens.
    const actions = ['run.started', 'run.step', 'proposal.decided', 'execution.succeeded', 'alert.raised'];
    for (let i = 0; i < 49; i += 1) {
      clock.advance(37 * 60_000);
      const action = actions[i % actions.length]!;
      await log.appendNow(db, {
        actor: 'warden',
        action,
        agent: i % 3 ? 'triage' : 'ops',
        decision: action === 'proposal.decided' ? (i % 2 ? 'allow' : 'deny') : null,
        reasonCode: action === 'proposal.decided' ? 'policy.checked' : null,
        details: action === 'run.step' ? { tokens: 100 + i } : {},
      });
      // Linked in several batches, as a running chainer would.
      if (i % 10 === 9) await link(db);
    }
    await link(db);
    // The last events stay unlinked: they fall in the window's last, partial hour, read from the trail.
    clock.advance(60_000);
    await log.appendNow(db, { actor: 'warden', action: 'run.started', agent: 'ops' });
    const until = clock.now();
    const since = new Date(until.getTime() - 24 * HOUR);
    expect(Math.round(since.getTime() / HOUR) * HOUR).not.toBe(since.getTime());

    const counted = await countAuditByAgent({ db, since, until });
    expect(sorted(counted)).toEqual(sorted(await scanned(db, since, until)));
    expect(counted.reduce((n, r) => n + r.n, 0)).toBeGreaterThan(30);
    // Linking again counts nothing twice: the hourly counts hold each linked event exactly once.
    expect(await link(db)).toBe(1);
    expect(await link(db)).toBe(0);
    const [kept] = rowsOf<{ counted: number; linked: number }>(
      await db.execute(sql`select (select coalesce(sum(n), 0)::int from audit_hourly_counts) as counted,
        (select count(*)::int from audit_events where seq is not null and agent is not null) as linked`),
    );
    expect(Number(kept!.counted)).toBe(Number(kept!.linked));
    expect(Number(kept!.linked)).toBe(50);
    expect(sorted(await countAuditByAgent({ db, since, until }))).toEqual(
      sorted(await scanned(db, since, until)),
    );
    // Windows ending earlier, with linked and unlinked events after their end in its hour, and starting at
    // every part of an hour: the first hour's part inside from the counts or from the trail.
    clock.advance(7 * 60_000);
    await log.appendNow(db, { actor: 'warden', action: 'alert.raised', agent: 'triage' });
    await link(db);
    clock.advance(60_000);
    const last = clock.now();
    await log.appendNow(db, { actor: 'warden', action: 'run.started', agent: 'triage' });
    // And one not linked yet about a day old (committed late), in or out of each window's first hour.
    clock.set(new Date(last.getTime() - 24 * HOUR - 20 * 60_000));
    await log.appendNow(db, { actor: 'warden', action: 'run.started', agent: 'ops' });
    clock.set(last);
    for (let minutes = 0; minutes < 60; minutes += 7) {
      const end = new Date(clock.now().getTime() - minutes * 60_000);
      const start = new Date(end.getTime() - 24 * HOUR);
      expect(sorted(await countAuditByAgent({ db, since: start, until: end }))).toEqual(
        sorted(await scanned(db, start, end)),
      );
    }
    // A window shorter than an hour reads the trail only.
    const recent = new Date(until.getTime() - 40 * 60_000);
    expect(sorted(await countAuditByAgent({ db, since: recent, until }))).toEqual(
      sorted(await scanned(db, recent, until)),
    );
  });
});
