import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashAuditEvent } from '../../../src/audit/audit.hash.ts';
import { auditHead, listAuditTrail, verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { isWardenError, postgresErrorCode } from '../../../src/shared/errors.ts';
import { createTestDatabase, databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import {
  appendMany,
  createTestAuditLog,
  errorOf,
  link,
  messagesOf,
  storedSeqs,
  tamper,
  testChainer,
  unlinkedCount,
} from './audit.helpers.ts';

describe.each(databaseKinds)('audit chain on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('commits events unlinked; linking chains them from seq 1 so they verify, and reports the head', async () => {
    const { db } = database;
    const { log, clock } = createTestAuditLog();
    expect(await verifyAuditChain({ db })).toEqual({
      ok: true,
      count: 0,
      head: null,
      lateLinks: { count: 0, maxMs: 0 },
    });
    expect(await auditHead({ db })).toBeNull();

    const written = await log.appendNow(db, { actor: 'U1', action: 'run.started', runId: 'run_a' });
    clock.advance(1500);
    await db.transaction((tx) =>
      log.append(tx, { actor: 'U1', action: 'proposal.decided', runId: 'run_a', decision: 'allow' }),
    );
    expect(written).toMatchObject({ actor: 'U1', details: {}, agent: null });
    expect(written).not.toHaveProperty('seq');
    expect(await unlinkedCount(db)).toBe(2);
    expect(await auditHead({ db })).toBeNull();
    expect(await listAuditTrail({ db, runId: 'run_a', limit: 10 })).toEqual([]);

    expect(await link(db)).toBe(2);
    const [first, second] = await listAuditTrail({ db, runId: 'run_a', limit: 10 });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, details: {}, agent: null });
    expect(first!.at.toISOString()).toBe('2026-11-24T09:00:00.000Z');
    expect(second).toMatchObject({ seq: 2, prevHash: first!.hash, decision: 'allow' });
    expect(second!.hash).toBe(hashAuditEvent({ prevHash: first!.hash, event: second! }));
    expect(await verifyAuditChain({ db })).toEqual({
      ok: true,
      count: 2,
      head: { seq: 2, hash: second!.hash, at: new Date('2026-11-24T09:00:01.500Z') },
      lateLinks: { count: 0, maxMs: 0 },
    });
    expect(await auditHead({ db })).toEqual({ seq: 2, hash: second!.hash, at: second!.at });
    expect(await link(db)).toBe(0);
  });

  it("another instance's sweep links what a writer that died left unlinked, and leaves a fresh event to its writer", async () => {
    const { db } = database;
    const { log } = createTestAuditLog(); // no chainer: the writer's instance died after its commit
    await log.appendNow(db, { actor: 'warden', action: 'run.started', runId: 'run_orphan' });
    // An instance that sweeps but is never nudged: it links only what stays unlinked from one sweep to the next.
    const sweeper = testChainer(db, { sweepMs: 1_000, mergeDelayMs: 0 });
    const started = performance.now();
    sweeper.start();
    try {
      // `start` links what is already waiting (a restart's first pass); what commits afterwards is swept.
      await waitFor(async () => (await unlinkedCount(db)) === 0, { what: 'the first pass' });
      await log.appendNow(db, { actor: 'warden', action: 'run.finished', runId: 'run_orphan' });
      // Past the first sweep (1 s after start), before the second: seen once, still its writer's to link.
      await new Promise((resolve) => setTimeout(resolve, 1_400 - (performance.now() - started)));
      expect(await unlinkedCount(db)).toBe(1);
      await waitFor(async () => (await unlinkedCount(db)) === 0, {
        what: 'the orphan linked by the sweep',
        timeoutMs: 5_000,
      });
    } finally {
      await sweeper.stop();
    }
    expect(await verifyAuditChain({ db })).toMatchObject({ ok: true, count: 2 });
  });

  it('fails verify when a committed event stays unlinked past the bound', async () => {
    const { db } = database;
    const { log, clock } = createTestAuditLog();
    await appendMany({ db, log, clock, count: 3 });
    await log.appendNow(db, { actor: 'U1', action: 'kill.engaged', agent: 'triage' });
    const result = await verifyAuditChain({ db, boundMs: 50 });
    expect(result).toMatchObject({ ok: false, count: 3, brokenAt: 4, reason: 'unlinked_past_bound' });
    expect(!result.ok && result.message).toMatch(
      /^audit event id \d+ \(kill\.engaged, 2026-11-24T09:00:03\.000Z\) committed but was not linked within 50 ms/,
    );
    await link(db);
    expect(await verifyAuditChain({ db, boundMs: 50 })).toMatchObject({ ok: true, count: 4 });
  });

  it('stores what it hashed: events read back are equal and re-hash to the stored hash', async () => {
    const { db } = database;
    const { log } = createTestAuditLog();
    const written = await log.appendNow(db, {
      actor: 'U1',
      action: 'execution.succeeded',
      agent: 'triage',
      environment: 'production',
      decision: 'allow',
      reasonCode: 'policy.allowed',
      charterHash: 'c'.repeat(64),
      runId: 'run_rt',
      incidentId: 'INC-1',
      proposalId: 'prp_1',
      details: {
        zeta: 1.0,
        alpha: { big: 1e21, tiny: 1e-7, sum: 0.1 + 0.2, neg: -5 },
        list: [3, 'two', null, true],
        when: new Date('2026-11-24T09:00:00.007Z'),
        text: 'ünïcødé 🚀 "quoted" \\ back',
        gone: undefined,
      },
    });
    await link(db);
    const [read] = await listAuditTrail({ db, runId: 'run_rt', limit: 10 });
    const { id: _id, ...content } = written;
    expect(read).toEqual({ ...content, seq: 1, prevHash: GENESIS_HASH, hash: read!.hash });
    expect(read!.details.when).toBe('2026-11-24T09:00:00.007Z');
    expect(hashAuditEvent({ prevHash: read!.prevHash, event: read! })).toBe(read!.hash);
    expect((await verifyAuditChain({ db })).ok).toBe(true);
  });

  it('leaves no event and no gap when the caller’s transaction rolls back', async () => {
    const { db } = database;
    const { log } = createTestAuditLog();
    await log.appendNow(db, { actor: 'U1', action: 'run.started' });
    const failure = await errorOf(
      db.transaction(async (tx) => {
        await log.append(tx, { actor: 'U1', action: 'proposal.decided' });
        throw new Error('the audited step failed');
      }),
    );
    expect((failure as Error).message).toBe('the audited step failed');
    expect(await link(db)).toBe(1);
    expect(await storedSeqs(db)).toEqual([1]);

    await log.appendNow(db, { actor: 'U1', action: 'proposal.decided' });
    expect(await link(db)).toBe(1);
    expect(await storedSeqs(db)).toEqual([1, 2]);
    expect(await verifyAuditChain({ db })).toMatchObject({ ok: true, count: 2 });
  });

  it('fails closed: an event that cannot be written rolls back the step recorded before it', async () => {
    const { db } = database;
    const { log } = createTestAuditLog();
    const failure = await errorOf(
      db.transaction(async (tx) => {
        await log.append(tx, { actor: 'U1', action: 'execution.started' });
        await log.append(tx, { actor: 'U1', action: 'execution.succeeded', details: { size: 10n } });
      }),
    );
    expect(isWardenError(failure, 'audit.invalid_details')).toBe(true);
    expect(await link(db)).toBe(0);
    expect(await storedSeqs(db)).toEqual([]);
  });

  it('refuses DELETE, TRUNCATE and every UPDATE but one link that changes no content', async () => {
    const { db } = database;
    const { log } = createTestAuditLog();
    await log.appendNow(db, { actor: 'U1', action: 'run.started', details: { n: 1 } });
    const linkOnce = 'audit_events is append-only: an event is linked once and never changed';
    const refused = async (statement: ReturnType<typeof sql>, message: string) => {
      const error = await errorOf(db.execute(statement));
      expect(postgresErrorCode(error)).toBe('42501');
      expect(messagesOf(error)).toContain(message);
    };
    // Unlinked: its content cannot change, not even together with a link.
    await refused(sql`update audit_events set actor = 'mallory'`, linkOnce);
    await refused(
      sql`update audit_events set actor = 'mallory', seq = 1, prev_hash = 'x', hash = 'y', linked_at = now()`,
      linkOnce,
    );
    await refused(sql`update audit_events set seq = 1, prev_hash = 'x', hash = 'y'`, linkOnce);
    await link(db);
    // Linked: not again, and nothing else.
    await refused(
      sql`update audit_events set seq = 7, prev_hash = 'x', hash = 'y', linked_at = now()`,
      linkOnce,
    );
    await refused(sql`update audit_events set linked_at = now()`, linkOnce);
    await refused(sql`update audit_events set actor = 'mallory'`, linkOnce);
    await refused(sql`delete from audit_events`, 'audit_events is append-only: DELETE refused');
    await refused(sql`truncate audit_events`, 'audit_events is append-only: TRUNCATE refused');
    const [row] = await listAuditTrail({ db, limit: 1 });
    expect(row).toMatchObject({ seq: 1, actor: 'U1' });
    expect((await verifyAuditChain({ db })).ok).toBe(true);
  });

  it('names exactly the row a superuser changed', async () => {
    const { db } = database;
    const { log, clock } = createTestAuditLog();
    await appendMany({ db, log, clock, count: 6 });
    await tamper(
      db,
      sql`update audit_events set details = jsonb_set(details, '{tool}', '"drop_db"') where seq = 4`,
    );

    const result = await verifyAuditChain({ db });
    expect(result).toMatchObject({ ok: false, count: 3, brokenAt: 4, reason: 'hash_mismatch' });
    expect(!result.ok && result.message).toBe(
      'audit chain broken at event #4 (execution.succeeded, 2026-11-24T09:00:04.000Z): hash does not match its content',
    );
  });

  it('finds a nulled column, a sub-millisecond time change and a rewrite with a recomputed hash', async () => {
    const { db } = database;
    const { log, clock } = createTestAuditLog();
    await appendMany({ db, log, clock, count: 5 });
    await tamper(db, sql`update audit_events set agent = null where seq = 2`);
    expect(await verifyAuditChain({ db })).toMatchObject({ ok: false, brokenAt: 2, reason: 'hash_mismatch' });

    const other = await createTestDatabase(kind);
    try {
      await appendMany({ db: other.db, log, clock, count: 5 });
      await tamper(other.db, sql`update audit_events set at = at + interval '1 microsecond' where seq = 3`);
      expect(await verifyAuditChain({ db: other.db })).toMatchObject({
        ok: false,
        brokenAt: 3,
        reason: 'hash_mismatch',
      });
    } finally {
      await other.drop();
    }

    const third = await createTestDatabase(kind);
    try {
      await appendMany({ db: third.db, log, clock, count: 5 });
      const [row] = await listAuditTrail({ db: third.db, runId: 'run_3', limit: 1 });
      const forged = { ...row!, details: { n: 3, tool: 'forged' } };
      const forgedHash = hashAuditEvent({ prevHash: row!.prevHash, event: forged });
      await tamper(
        third.db,
        sql`update audit_events set details = ${JSON.stringify(forged.details)}::jsonb, hash = ${forgedHash}
          where seq = 3`,
      );
      const result = await verifyAuditChain({ db: third.db });
      expect(result).toMatchObject({ ok: false, count: 3, brokenAt: 4, reason: 'prev_hash_mismatch' });
      expect(!result.ok && result.message).toContain('prev_hash does not match the hash of event #3');
    } finally {
      await third.drop();
    }
  });

  it('finds a deleted middle row as a gap', async () => {
    const { db } = database;
    const { log, clock } = createTestAuditLog();
    await appendMany({ db, log, clock, count: 8 });
    await tamper(db, sql`delete from audit_events where seq = 5`);
    const result = await verifyAuditChain({ db });
    expect(result).toMatchObject({ ok: false, count: 4, brokenAt: 6, reason: 'seq_gap' });
    expect(!result.ok && result.message).toContain('event #5 is missing');

    await tamper(db, sql`delete from audit_events where seq = 1`);
    expect(await verifyAuditChain({ db })).toMatchObject({
      ok: false,
      count: 0,
      brokenAt: 2,
      reason: 'seq_gap',
    });
  });

  it('verifies in batches (keyset pages) and finds a break in the second batch', async () => {
    const { db } = database;
    const { log, clock } = createTestAuditLog();
    await appendMany({ db, log, clock, count: 50 });

    const progress: number[] = [];
    const result = await verifyAuditChain({ db, batchSize: 7, onProgress: (p) => progress.push(p.count) });
    expect(result).toMatchObject({ ok: true, count: 50, head: { seq: 50 } });
    expect(progress).toEqual([7, 14, 21, 28, 35, 42, 49, 50]);

    await tamper(db, sql`update audit_events set actor = 'mallory' where seq = 10`);
    await tamper(db, sql`update audit_events set actor = 'mallory' where seq = 30`);
    const brokenProgress: number[] = [];
    const broken = await verifyAuditChain({
      db,
      batchSize: 7,
      onProgress: (p) => brokenProgress.push(p.count),
    });
    expect(broken).toMatchObject({ ok: false, count: 9, brokenAt: 10, reason: 'hash_mismatch' });
    expect(brokenProgress).toEqual([7]);
  });

  it('never stores a secret, in details or in free text, and still verifies', async () => {
    const { db } = database;
    const custom = 'custom-canary-VALUE-77';
    const slack = 'xoxb-CANARY-1234567890';
    const { log } = createTestAuditLog({ secrets: [custom] });
    const written = await log.appendNow(db, {
      actor: `U1 via ${slack}`,
      action: 'execution.failed',
      agent: 'triage',
      reasonCode: `tools.failed: ${custom}`,
      runId: 'run_secret',
      details: {
        error: `auth failed with token ${slack}`,
        nested: { list: [`x ${custom} y`, { deeper: slack }] },
        token: 'an-unnamed-value-under-a-secret-key',
        headers: 'Authorization: Bearer abcdefghijklmnop',
      },
    });
    const result = await db.execute(sql`select t::text as row from audit_events t`);
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { row: string }[];
    const stored = rows.map((r) => r.row).join('\n');
    expect(rows).toHaveLength(1);
    for (const secret of [slack, custom, 'an-unnamed-value-under-a-secret-key', 'abcdefghijklmnop']) {
      expect(stored).not.toContain(secret);
      expect(JSON.stringify(written)).not.toContain(secret);
    }
    expect(stored).toContain('[REDACTED]');
    expect(written.actor).toBe('U1 via [REDACTED]');
    expect(written.reasonCode).toBe('tools.failed: [REDACTED]');
    await link(db);
    expect((await verifyAuditChain({ db })).ok).toBe(true);
  });

  it('stores text Postgres would refuse (NUL, lone surrogates) instead of failing the step', async () => {
    const { db } = database;
    const { log } = createTestAuditLog();
    const nul = String.fromCharCode(0);
    const written = await log.appendNow(db, {
      actor: `U1${nul}`,
      action: 'evidence.read',
      details: { output: `bin${nul}ary \uD83D tail` },
    });
    expect(written.actor).toBe('U1\uFFFD');
    expect(written.details.output).toBe('bin\uFFFDary \uFFFD tail');
    await link(db);
    expect((await verifyAuditChain({ db })).ok).toBe(true);
  });

  it('lists a trail by run, incident or proposal in seq order, paging with afterSeq', async () => {
    const { db } = database;
    const { log } = createTestAuditLog();
    for (const [runId, incidentId, proposalId] of [
      ['run_a', 'INC-1', 'prp_1'],
      ['run_b', 'INC-2', null],
      ['run_a', 'INC-1', 'prp_2'],
      ['run_a', 'INC-1', 'prp_1'],
      ['run_b', 'INC-2', 'prp_3'],
    ] as const) {
      await log.appendNow(db, { actor: 'U1', action: 'step', runId, incidentId, proposalId });
    }
    await link(db);
    const seqs = (events: { seq: number }[]) => events.map((e) => e.seq);
    expect(seqs(await listAuditTrail({ db, runId: 'run_a', limit: 10 }))).toEqual([1, 3, 4]);
    expect(seqs(await listAuditTrail({ db, incidentId: 'INC-2', limit: 10 }))).toEqual([2, 5]);
    expect(seqs(await listAuditTrail({ db, proposalId: 'prp_1', limit: 10 }))).toEqual([1, 4]);
    expect(seqs(await listAuditTrail({ db, runId: 'run_a', proposalId: 'prp_2', limit: 10 }))).toEqual([3]);
    expect(seqs(await listAuditTrail({ db, runId: 'run_a', limit: 2 }))).toEqual([1, 3]);
    expect(seqs(await listAuditTrail({ db, runId: 'run_a', afterSeq: 3, limit: 2 }))).toEqual([4]);
    expect(await listAuditTrail({ db, runId: 'run_none', limit: 10 })).toEqual([]);
  });
});
