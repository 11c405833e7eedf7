import { type SQL, sql } from 'drizzle-orm';
import type { Part } from '../db/batch.ts';
import type { Db, DbOrTx, Tx } from '../db/client.ts';
import { afterCommit } from '../db/commit-hooks.ts';
import { asSql, prepareOnce, type RawStatement, type Statement } from '../db/prepared.ts';
import type { Clock } from '../shared/clock.ts';
import { wardenError } from '../shared/errors.ts';
import { sha256Hex } from '../shared/hash.ts';
import type { Redactor } from '../shared/redact.ts';
import { cleanText, plainJsonDetails } from './audit.details.ts';
import { canonicalJsonBeforeSeq, GENESIS_HASH, type HashableAuditEvent } from './audit.hash.ts';
import {
  AUDIT_COLUMNS,
  type AuditRow,
  eventFromRow,
  publicEvent,
  rowsOf,
  storedIsoTime,
} from './audit.rows.ts';
import type { AuditEvent, AuditEventInput, AuditHead, AuditVerifyResult } from './audit.types.ts';

export type { AuditEvent, AuditEventInput, AuditHead, AuditVerifyResult };

/** The advisory lock every writer of the chain takes, on any connection of any instance. */
export const AUDIT_CHAIN_LOCK = 7305100;

const LOCK_CHAIN: RawStatement = { text: `select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`, params: [] };

/**
 * The part of a pipelined batch that appends one event: take the chain lock, then insert (two statements,
 * so the insert's snapshot sees the latest head); it reads back the appended event, checking the hash the
 * database computed. Named `audit`, so a batch reports a failure of it as the audit's.
 */
export type PreparedAppend = Part<AuditEvent>;

export type AuditLog = {
  /**
   * Appends one event inside the caller's transaction, so the audited step and its event commit together
   * (if this throws, the caller's transaction must roll back). The chain lock is held until that
   * transaction ends: append as the last statement of short transactions. Use READ COMMITTED.
   */
  append: (tx: Tx, event: AuditEventInput) => Promise<AuditEvent>;
  /** Appends one event in a transaction of its own. */
  appendNow: (db: Db, event: AuditEventInput) => Promise<AuditEvent>;
  /** The statements for a pipelined transaction; call `published` with the events once it has committed. */
  prepare: (event: AuditEventInput) => PreparedAppend;
  /** Tells the observers of events appended through `prepare`, after their transaction committed. */
  published: (events: AuditEvent[]) => void;
};

/**
 * Told of each event once the transaction that appended it has committed (never of one that rolled
 * back). A listener must not throw and must not hold up the caller: it runs on the writer's path.
 */
export type AuditAppendedHook = (event: AuditEvent) => void;

/**
 * The insert that links one event to the chain. The head is read in the same statement, after the chain
 * lock was taken by the statement before it (each READ COMMITTED statement takes a fresh snapshot), and
 * the database computes `sha256(prev_hash || canonical JSON)` — the formula of `hashAuditEvent` — from the
 * JSON text this process built, so appending needs no round trip to learn the head.
 */
function insertLinked({
  content,
  jsonBeforeSeq,
}: {
  content: ChainContent;
  jsonBeforeSeq: string;
}): Statement {
  return INSERT_LINKED({
    at: content.at.toISOString(),
    actor: content.actor,
    action: content.action,
    agent: content.agent,
    environment: content.environment,
    decision: content.decision,
    reasonCode: content.reasonCode,
    charterHash: content.charterHash,
    runId: content.runId,
    incidentId: content.incidentId,
    proposalId: content.proposalId,
    details: JSON.stringify(content.details),
    genesis: GENESIS_HASH,
    jsonBeforeSeq,
  });
}

const p = (name: string) => sql.placeholder(name);
const INSERT_LINKED = prepareOnce<Record<string, string | null>>(
  () => sql`insert into audit_events (seq, at, actor, action, agent, environment, decision, reason_code,
      charter_hash, run_id, incident_id, proposal_id, details, prev_hash, hash)
    select head.seq + 1, ${p('at')}::timestamptz, ${p('actor')}, ${p('action')}, ${p('agent')}, ${p('environment')},
      ${p('decision')}, ${p('reasonCode')}, ${p('charterHash')}, ${p('runId')}, ${p('incidentId')}, ${p('proposalId')},
      ${p('details')}::jsonb, head.hash,
      encode(sha256(convert_to(head.hash || ${p('jsonBeforeSeq')}::text || (head.seq + 1)::text || '}', 'UTF8')), 'hex')
    from (select coalesce(last.seq, 0) as seq, coalesce(last.hash, ${p('genesis')}::text) as hash
      from (select 1) as one
      left join lateral (select seq, hash from audit_events order by audit_events.seq desc limit 1) as last on true
    ) as head
    returning seq::text as seq, prev_hash, hash`,
);

type ChainContent = Omit<HashableAuditEvent, 'seq' | 'at'> & {
  at: Date;
  agent: string | null;
  environment: string | null;
  decision: string | null;
  reasonCode: string | null;
  charterHash: string | null;
  runId: string | null;
  incidentId: string | null;
  proposalId: string | null;
};

/** Builds the audit log writer; everything is redacted before it is hashed and stored. */
export function createAuditLog({
  redactor,
  clock,
  onAppended,
}: {
  redactor: Redactor;
  clock: Clock;
  onAppended?: AuditAppendedHook;
}): AuditLog {
  const text = (value: string | null | undefined): string | null =>
    value === null || value === undefined ? null : cleanText(redactor.redactText(value));

  const published = (events: AuditEvent[]): void => {
    if (!onAppended) return;
    for (const event of events) {
      try {
        onAppended(event);
      } catch {
        // Observers (metrics, alerts) never decide whether a step happens.
      }
    }
  };

  const prepare = (input: AuditEventInput): PreparedAppend => {
    const details = redactor.redactValue(plainJsonDetails({ action: input.action, details: input.details }));
    const content: ChainContent = {
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
    const jsonBeforeSeq = canonicalJsonBeforeSeq(content);
    return {
      name: 'audit',
      statements: [LOCK_CHAIN, insertLinked({ content, jsonBeforeSeq })],
      read: ([, insertRows = []]) => {
        const [row] = insertRows as { seq?: string | number; prev_hash?: string; hash?: string }[];
        if (!row?.seq || !row.prev_hash || !row.hash) {
          throw new Error(`the audit event ${content.action} was not inserted`);
        }
        const seq = Number(row.seq);
        // The same text `hashAuditEvent` hashes: the canonical JSON up to `seq`, then the seq (see audit.hash.ts).
        const expected = sha256Hex(`${row.prev_hash}${jsonBeforeSeq}${seq}}`);
        if (row.hash !== expected) {
          // The database hashed other bytes than this process would (an encoding other than UTF-8?):
          // such an event would fail verification, so the step must not happen.
          throw new Error(`the database computed another hash for audit event #${seq}`);
        }
        return { seq, ...content, prevHash: row.prev_hash, hash: row.hash };
      },
    };
  };

  const append = async (tx: Tx, input: AuditEventInput): Promise<AuditEvent> => {
    const prepared = prepare(input);
    let event: AuditEvent;
    try {
      const rows: Record<string, unknown>[][] = [];
      for (const statement of prepared.statements) rows.push(rowsOf(await tx.execute(asSql(statement))));
      event = prepared.read(rows);
    } catch (error) {
      throw wardenError({
        code: 'audit.write_failed',
        message: `The audit event ${input.action} could not be written, so the step it records must not happen.`,
        details: { action: input.action },
        cause: error,
      });
    }
    afterCommit(tx, () => published([event]));
    return event;
  };

  return {
    append,
    appendNow: (db, event) => db.transaction((tx) => append(tx, event)),
    prepare,
    published,
  };
}

/** The last event's seq, hash and time, or null for an empty chain. */
export async function auditHead({ db }: { db: DbOrTx }): Promise<AuditHead | null> {
  const result = await db.execute(sql`select seq::text as seq, hash,
    to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at_iso
    from audit_events order by audit_events.seq desc limit 1`);
  const [row] = rowsOf<{ seq: string | number; hash: string; at_iso: string }>(result);
  return row ? { seq: Number(row.seq), hash: row.hash, at: new Date(storedIsoTime(row.at_iso)) } : null;
}

/**
 * The events of one run, incident and/or proposal (all given filters must match), oldest first:
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
