import { type SQL, sql } from 'drizzle-orm';
import pino from 'pino';
import { type AuditChainer, createAuditChainer } from '../../../src/audit/audit.chainer.ts';
import { type AuditLog, createAuditLog } from '../../../src/audit/audit.repository.ts';
import type { Db } from '../../../src/db/client.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createRedactor } from '../../../src/shared/redact.ts';

const quiet = pino({ level: 'silent' });

/**
 * An audit log on a manual clock that moves 1 s per event appended through `appendMany`. Without `db` it
 * has no chainer: events stay unlinked until `link(db)`, so a test decides when linking happens.
 */
export function createTestAuditLog({ secrets = [], db }: { secrets?: string[]; db?: Db } = {}) {
  const clock = createManualClock('2026-11-24T09:00:00.000Z');
  const chainer: AuditChainer | undefined = db ? createAuditChainer({ db, logger: quiet }) : undefined;
  const log = createAuditLog({ redactor: createRedactor({ secrets }), clock, chainer });
  return { clock, log, chainer };
}

/** A chainer of its own on `db` (another instance's, say), not started. */
export function testChainer(db: Db, options: { mergeDelayMs?: number; sweepMs?: number } = {}) {
  return createAuditChainer({ db, logger: quiet, ...options });
}

/** Links every committed event of `db` now; how many it linked. */
export async function link(db: Db): Promise<number> {
  return testChainer(db).linkNow();
}

/** Appends `count` events, one per second, each with its own run id `run_<n>`, and links them. */
export async function appendMany({
  db,
  log,
  clock,
  count,
}: {
  db: Db;
  log: AuditLog;
  clock: { advance: (ms: number) => void };
  count: number;
}): Promise<void> {
  for (let n = 1; n <= count; n++) {
    clock.advance(1000);
    await log.appendNow(db, {
      actor: 'warden',
      action: n % 2 ? 'proposal.decided' : 'execution.succeeded',
      agent: 'triage',
      runId: `run_${n}`,
      details: { n, tool: 'create_ticket' },
    });
  }
  await link(db);
}

/** Changes audit rows the way a superuser could: with the append-only triggers switched off. */
export async function tamper(db: Db, statement: SQL): Promise<void> {
  await db.execute(sql`alter table audit_events disable trigger user`);
  try {
    await db.execute(statement);
  } finally {
    await db.execute(sql`alter table audit_events enable trigger user`);
  }
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Every message along an error's cause chain, joined. */
export function messagesOf(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    if (current instanceof Error) messages.push(current.message);
    current = (current as { cause?: unknown }).cause;
  }
  return messages.join(' | ');
}

/** All linked seqs in the table, in order. */
export async function storedSeqs(db: Db): Promise<number[]> {
  const result = await db.execute(
    sql`select seq::int as seq from audit_events where seq is not null order by seq`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { seq: number }[];
  return rows.map((row) => Number(row.seq));
}

/** How many committed events are not linked yet. */
export async function unlinkedCount(db: Db): Promise<number> {
  const result = await db.execute(sql`select count(*)::int as n from audit_events where seq is null`);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { n: number }[];
  return Number(rows[0]?.n ?? 0);
}
