import { type SQL, sql } from 'drizzle-orm';
import { type AuditLog, createAuditLog } from '../../../src/audit/audit.repository.ts';
import type { Db } from '../../../src/db/client.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createRedactor } from '../../../src/shared/redact.ts';

/** An audit log on a manual clock that moves 1 s per event appended through `appendMany`. */
export function createTestAuditLog({ secrets = [] }: { secrets?: string[] } = {}) {
  const clock = createManualClock('2026-11-24T09:00:00.000Z');
  const log = createAuditLog({ redactor: createRedactor({ secrets }), clock });
  return { clock, log };
}

/** Appends `count` events, one per second, each with its own run id `run_<n>`. */
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

/** All seqs in the table, in order. */
export async function storedSeqs(db: Db): Promise<number[]> {
  const result = await db.execute(sql`select seq::int as seq from audit_events order by seq`);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { seq: number }[];
  return rows.map((row) => Number(row.seq));
}
