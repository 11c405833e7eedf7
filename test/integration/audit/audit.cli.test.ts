import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditHeadCommand, auditVerifyCommand } from '../../../src/audit/audit.cli.ts';
import { GENESIS_HASH } from '../../../src/audit/audit.hash.ts';
import { auditHead } from '../../../src/audit/audit.repository.ts';
import { createTestDatabase, databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { appendMany, createTestAuditLog, tamper } from './audit.helpers.ts';

function createOutput() {
  let text = '';
  return {
    out: {
      write: (s: string) => {
        text += s;
      },
    },
    text: () => text,
  };
}

describe.each(databaseKinds)('audit CLI on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('verify and head on an empty chain', async () => {
    const verify = createOutput();
    expect(await auditVerifyCommand({ db: database.db, out: verify.out })).toEqual({ exitCode: 0 });
    expect(verify.text()).toBe('✓ audit chain verified: 0 events (empty)\n');

    const head = createOutput();
    await auditHeadCommand({ db: database.db, out: head.out, json: true });
    expect(JSON.parse(head.text())).toEqual({ seq: 0, hash: GENESIS_HASH, at: null });
  });

  it('verify prints the count and head and exits 0; head prints one line or JSON', async () => {
    const { db } = database;
    const { log, clock } = createTestAuditLog();
    await appendMany({ db, log, clock, count: 12 });
    const tip = (await auditHead({ db }))!;

    const verify = createOutput();
    expect(await auditVerifyCommand({ db, out: verify.out, batchSize: 5 })).toEqual({ exitCode: 0 });
    const [verified, ...notes] = verify.text().trimEnd().split('\n');
    expect(verified).toBe(
      `✓ audit chain verified: 12 events, head ${tip.hash.slice(0, 12)}… at seq 12; no committed event unlinked past 250 ms`,
    );
    // On a loaded machine the chainer may link late: reported as a note, never as a failure.
    for (const note of notes)
      expect(note).toMatch(/^ {2}note: \d+ events? (was|were) linked more than 250 ms after/);

    const line = createOutput();
    expect(await auditHeadCommand({ db, out: line.out })).toEqual({ exitCode: 0 });
    expect(line.text()).toBe(`seq 12 hash ${tip.hash} at 2026-11-24T09:00:12.000Z\n`);

    const json = createOutput();
    await auditHeadCommand({ db, out: json.out, json: true });
    expect(JSON.parse(json.text())).toEqual({ seq: 12, hash: tip.hash, at: '2026-11-24T09:00:12.000Z' });

    // An event committed and never linked fails verify, naming it.
    await log.appendNow(db, { actor: 'U1', action: 'kill.engaged' });
    const stuck = createOutput();
    expect(await auditVerifyCommand({ db, out: stuck.out })).toEqual({ exitCode: 1 });
    expect(stuck.text()).toMatch(
      /^✗ audit event id \d+ \(kill\.engaged, [^)]+\) committed but was not linked within 250 ms: the chainer skipped it or is not running\n {2}12 events before it verified; nothing after it can be trusted\.\n$/,
    );
  });

  it('verify names the first broken event and exits 1', async () => {
    const { db } = database;
    const { log, clock } = createTestAuditLog();
    await appendMany({ db, log, clock, count: 5 });
    await tamper(db, sql`update audit_events set decision = 'allow' where seq = 2`);

    const verify = createOutput();
    expect(await auditVerifyCommand({ db, out: verify.out })).toEqual({ exitCode: 1 });
    expect(verify.text()).toBe(
      '✗ audit chain broken at event #2 (execution.succeeded, 2026-11-24T09:00:02.000Z): ' +
        'hash does not match its content\n' +
        '  1 event before it verified; nothing after it can be trusted.\n',
    );
  });

  it('verify exits 1 with a readable line when the database cannot be read', async () => {
    const broken = await createTestDatabase(kind);
    await broken.drop();
    const verify = createOutput();
    expect(await auditVerifyCommand({ db: broken.db, out: verify.out })).toEqual({ exitCode: 1 });
    expect(verify.text()).toMatch(/^✗ audit chain could not be read: .+\n$/);
    expect(verify.text()).not.toContain('Failed query');
  });
});
