import { type SQL, sql } from 'drizzle-orm';
import type { Part } from '../db/batch.ts';
import type { Db, DbOrTx, Tx } from '../db/client.ts';
import { afterCommit } from '../db/commit-hooks.ts';
import { asSql } from '../db/prepared.ts';
import type { Clock } from '../shared/clock.ts';
import { wardenError } from '../shared/errors.ts';
import type { Redactor } from '../shared/redact.ts';
import type { AuditChainer } from './audit.chainer.ts';
import { cleanText, plainJsonDetails } from './audit.details.ts';
import { type EventRow, eventRowOf, insertEventStatement } from './audit.insert.ts';
import { AUDIT_COLUMNS, type AuditRow, eventFromRow, publicEvent, rowsOf } from './audit.rows.ts';
import type {
  AuditEvent,
  AuditEventInput,
  AuditHead,
  AuditRecord,
  AuditVerifyResult,
} from './audit.types.ts';

export type { AuditEvent, AuditEventInput, AuditHead, AuditRecord, AuditVerifyResult };

/**
 * The part of a pipelined batch that writes one event: a plain insert, no lock, so concurrent steps commit
 * side by side and share WAL flushes; the chainer links the event once it has committed. Named `audit`, so
 * a batch reports a failure of it as the audit's.
 */
export type PreparedAppend = Part<AuditRecord>;

export type AuditLog = {
  /**
   * Writes one event inside the caller's transaction, so the audited step and its event commit together
   * (if this throws, the caller's transaction must roll back). Once it commits, the chainer is told.
   */
  append: (tx: Tx, event: AuditEventInput) => Promise<AuditRecord>;
  /** Writes one event in a transaction of its own. */
  appendNow: (db: Db, event: AuditEventInput) => Promise<AuditRecord>;
  /** The statement for a pipelined transaction; call `committed` with the records once it has committed. */
  prepare: (event: AuditEventInput) => PreparedAppend;
  /**
   * The event as one row of an insert, for a statement that writes it with what it records (the guard's
   * one-statement decision, `decision-unless-stopped.ts`). Its id comes back with that statement's rows.
   */
  prepareRow: (event: AuditEventInput) => EventRow;
  /** Tells the chainer that events written through `prepare` have committed. */
  committed: (records: AuditRecord[]) => void;
  /** Links every event committed so far, waiting for the chain lock (tests, the CLI, shutdown). */
  linkNow: () => Promise<number>;
};

type Content = Omit<AuditRecord, 'id'>;

/**
 * Builds the audit log writer; everything is redacted before it is stored (and later hashed). `chainer`
 * links what commits; without one (a test of the writer alone) events stay unlinked until linked.
 */
export function createAuditLog({
  redactor,
  clock,
  chainer,
}: {
  redactor: Redactor;
  clock: Clock;
  chainer?: AuditChainer;
}): AuditLog {
  const text = (value: string | null | undefined): string | null =>
    value === null || value === undefined ? null : cleanText(redactor.redactText(value));

  const committed = (records: AuditRecord[]): void => {
    if (records.length > 0) chainer?.nudge();
  };

  const contentOf = (input: AuditEventInput): Content => {
    const details = redactor.redactValue(plainJsonDetails({ action: input.action, details: input.details }));
    const content: Content = {
      at: clock.now(),
      actor: text(input.actor) ?? '',
      action: text(input.action) ?? '',
      agent: text(input.agent),
      environment: text(input.environment),
      decision: text(input.decision),
      reasonCode: text(input.reasonCode),
      charterHash: text(input.charterHash),
      runId: text(input.runId),
      incidentId: text(input.incidentId),
      proposalId: text(input.proposalId),
      details,
    };
    return content;
  };

  const prepare = (input: AuditEventInput): PreparedAppend => {
    const content = contentOf(input);
    return {
      name: 'audit',
      statements: [insertEventStatement(eventRowOf(content))],
      read: ([insertRows = []]) => {
        const [row] = insertRows as { id?: string | number }[];
        if (!row?.id) throw new Error(`the audit event ${content.action} was not inserted`);
        return { id: Number(row.id), ...content };
      },
    };
  };

  const append = async (tx: Tx, input: AuditEventInput): Promise<AuditRecord> => {
    const prepared = prepare(input);
    let record: AuditRecord;
    try {
      const rows: Record<string, unknown>[][] = [];
      for (const statement of prepared.statements) rows.push(rowsOf(await tx.execute(asSql(statement))));
      record = prepared.read(rows);
    } catch (error) {
      throw wardenError({
        code: 'audit.write_failed',
        message: `The audit event ${input.action} could not be written, so the step it records must not happen.`,
        details: { action: input.action },
        cause: error,
      });
    }
    afterCommit(tx, () => committed([record]));
    return record;
  };

  return {
    append,
    appendNow: (db, event) => db.transaction((tx) => append(tx, event)),
    prepare,
    prepareRow: (input) => eventRowOf(contentOf(input)),
    committed,
    linkNow: async () => (chainer ? chainer.linkNow() : 0),
  };
}

export { auditHead } from './audit.head.ts';

/**
 * The linked events of one run, incident and/or proposal (all given filters must match), oldest first:
 * at most `limit` events after `afterSeq`; pass the last seq seen to page on.
 */
export async function listAuditTrail({
  db,
  runId,
  incidentId,
  proposalId,
  afterSeq = 0,
  limit,
}: {
  db: DbOrTx;
  runId?: string;
  incidentId?: string;
  proposalId?: string;
  afterSeq?: number;
  limit: number;
}): Promise<AuditEvent[]> {
  const conditions: SQL[] = [sql`seq > ${String(afterSeq)}::bigint`];
  if (runId !== undefined) conditions.push(sql`run_id = ${runId}`);
  if (incidentId !== undefined) conditions.push(sql`incident_id = ${incidentId}`);
  if (proposalId !== undefined) conditions.push(sql`proposal_id = ${proposalId}`);
  const result = await db.execute(sql`select ${AUDIT_COLUMNS} from audit_events
    where ${sql.join(conditions, sql` and `)} order by audit_events.seq limit ${limit}`);
  return rowsOf<AuditRow>(result).map((row) => publicEvent(eventFromRow(row)));
}

export { type AuditVerifyProgress, verifyAuditChain } from './audit.verify.ts';
