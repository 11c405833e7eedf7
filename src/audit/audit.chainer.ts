import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { outsideDeadline } from '../db/deadline.ts';
import { outsideLogIds } from '../shared/log-context.ts';
import type { Logger } from '../shared/logger.ts';
import { GENESIS_HASH, hashAuditEvent } from './audit.hash.ts';
import { auditHead } from './audit.head.ts';
import { AUDIT_COLUMNS, type AuditRow, eventFromRow, publicEvent, rowsOf } from './audit.rows.ts';
import type { AuditEvent } from './audit.types.ts';
import { countLinked } from './audit-counts.repository.ts';

/** The advisory lock of the one chainer at a time, on any connection of any instance. */
export const AUDIT_CHAIN_LOCK = 7305100;

/**
 * The bound: an event that has committed is linked within this long. A writer's own instance links it
 * after `MERGE_DELAY_MS`; when that instance died after its commit, any instance's sweep links it (within
 * two sweeps: `SWEEP_MS` apart).
 */
export const LINK_BOUND_MS = 250;
const MERGE_DELAY_MS = 20;
const RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;
const SWEEP_MS = 100;
/** Events linked per transaction; a longer queue takes several, back to back. */
const BATCH_SIZE = 2_000;

/** Told of the events each batch linked, after it committed, in seq order. Must not throw. */
export type LinkedHook = (events: AuditEvent[]) => void;

type Pass = { linked: number; full: boolean; locked: boolean };

/**
 * Links committed audit events into the hash chain in batches, in the order it sees them committed (by
 * insertion id within a batch), like a verifiable log's sequencer: writers never wait for each other, and
 * one instance at a time holds the chain lock while it links. A batch is one transaction: the head and the
 * pending events are read after the lock is taken, hashed here with the function `verify` uses, and linked
 * by one update that must change exactly those events (the trigger allows one link per event), and counts
 * them in the hourly counts. If that transaction dies, nothing is linked or counted, and the next pass
 * links the same events.
 */
export function createAuditChainer({
  db,
  logger,
  onLinked,
  mergeDelayMs = MERGE_DELAY_MS,
  sweepMs = SWEEP_MS,
}: {
  db: Db;
  logger: Logger;
  onLinked?: LinkedHook;
  mergeDelayMs?: number;
  sweepMs?: number;
}) {
  let timer: NodeJS.Timeout | null = null;
  let sweeper: NodeJS.Timeout | null = null;
  /** The oldest unlinked event the last sweep saw (its insertion id). */
  let oldestSeen: string | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let retrying = false;
  /** Passes failed in a row (the database is away); retries back off, and the warning is logged once. */
  let failures = 0;

  function tell(events: AuditEvent[]): void {
    if (!onLinked || events.length === 0) return;
    try {
      onLinked(events);
    } catch {
      // Observers (metrics, alerts) never decide whether events are linked.
    }
  }

  async function linkBatch({ wait }: { wait: boolean }): Promise<Pass> {
    const linked: AuditEvent[] = [];
    const pass = await db.transaction(async (tx) => {
      if (!(await takeChainLock({ tx, wait }))) return { linked: 0, full: false, locked: false };
      // A statement of its own, after the lock: its snapshot sees the previous batch.
      const head = (await auditHead({ db: tx })) ?? { seq: 0, hash: GENESIS_HASH };
      const rows = rowsOf<AuditRow & { id: string | number }>(
        await tx.execute(sql`select id::text as id, ${AUDIT_COLUMNS} from audit_events
          where seq is null order by audit_events.id limit ${BATCH_SIZE}`),
      );
      if (rows.length === 0) return { linked: 0, full: false, locked: true };
      let seq = head.seq;
      let prevHash = head.hash;
      const links = rows.map((row) => {
        seq += 1;
        const event = eventFromRow({ ...row, seq, prev_hash: prevHash, hash: '' });
        const hash = hashAuditEvent({ prevHash, event: { ...event, at: event.atText } });
        linked.push(publicEvent({ ...event, hash }));
        const link = { id: Number(row.id), seq, prev_hash: prevHash, hash };
        prevHash = hash;
        return link;
      });
      const updated = rowsOf(
        await tx.execute(sql`update audit_events as e
          set seq = v.seq, prev_hash = v.prev_hash, hash = v.hash, linked_at = clock_timestamp()
          from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as v(id bigint, seq bigint, prev_hash text, hash text)
          where e.id = v.id and e.seq is null
          returning e.id`),
      );
      if (updated.length !== links.length) {
        throw new Error(`linked ${updated.length} of ${links.length} audit events; the batch is rolled back`);
      }
      await countLinked({ tx, fromSeq: head.seq + 1, toSeq: seq });
      return { linked: links.length, full: rows.length === BATCH_SIZE, locked: true };
    });
    tell(linked);
    return pass;
  }

  /** Links batches until none is full; false when another chainer held the lock. */
  async function linkAll({ wait }: { wait: boolean }): Promise<{ linked: number; locked: boolean }> {
    let total = 0;
    for (;;) {
      const pass = await linkBatch({ wait });
      total += pass.linked;
      if (!pass.locked) return { linked: total, locked: false };
      if (!pass.full) return { linked: total, locked: true };
    }
  }

  /** One background pass; a busy lock (another instance linking) tries again shortly, a failure later. */
  function runPass(): void {
    timer = null;
    running = outsideLogIds(() =>
      outsideDeadline(async () => {
        try {
          const { locked } = await linkAll({ wait: false });
          if (failures > 0 && !stopped) logger.info({ failures }, 'audit chainer linking again');
          failures = 0;
          if (!locked) again = true;
        } catch (error) {
          failures += 1;
          // Once per outage: a pass fails for as long as the database is away.
          if (failures === 1 && !stopped)
            logger.warn({ err: error }, 'audit chainer pass failed; will retry');
        }
      }),
    ).finally(() => {
      running = null;
      if (failures > 0) schedule(Math.min(RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS), true);
      else if (again) nudge();
      again = false;
    });
  }

  function schedule(delayMs: number, retry: boolean): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(runPass, delayMs);
    timer.unref();
    retrying = retry;
  }

  /** Asks for a pass within the merge delay; nudges while one is pending or running merge into it. */
  function nudge(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // A pending retry after a failure is brought forward: a step just committed, so the database is back.
    if (timer && !retrying) return;
    schedule(mergeDelayMs, false);
  }

  /**
   * Catches what another instance committed and could not link (it died, or is far behind): one cheap look
   * per sweep at the oldest unlinked event. An event its writer's chainer is about to link (within its merge
   * delay) is left to it: only one still unlinked a sweep later is linked here. Otherwise every instance
   * would race every writer for the lock and link (and feed on) all of their events.
   */
  async function sweep(): Promise<void> {
    if (timer || running || stopped) return;
    try {
      const [row] = rowsOf<{ oldest: string | number | null }>(
        await db.execute(sql`select min(id) as oldest from audit_events where seq is null`),
      );
      const oldest = row?.oldest === null || row?.oldest === undefined ? null : String(row.oldest);
      if (oldest !== null && oldest === oldestSeen) nudge();
      oldestSeen = oldest;
    } catch {
      // The database is away; the next sweep looks again.
    }
  }

  return {
    nudge,
    /** Links everything committed so far, waiting for the chain lock; how many events it linked. */
    linkNow: async (): Promise<number> => {
      // This pass links what a pending one would have.
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      return (await outsideDeadline(() => linkAll({ wait: true }))).linked;
    },
    /** Starts the sweep that links what other instances left behind. */
    start: (): void => {
      if (sweeper || stopped) return;
      sweeper = setInterval(() => void outsideLogIds(() => outsideDeadline(sweep)), sweepMs);
      sweeper.unref();
      nudge();
    },
    /** Stops linking; waits for the pass in progress. */
    stop: async (): Promise<void> => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (sweeper) clearInterval(sweeper);
      timer = null;
      sweeper = null;
      await running;
    },
  };
}

export type AuditChainer = ReturnType<typeof createAuditChainer>;

async function takeChainLock({ tx, wait }: { tx: Tx; wait: boolean }): Promise<boolean> {
  if (wait) {
    await tx.execute(sql.raw(`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`));
    return true;
  }
  const [row] = rowsOf<{ locked: boolean }>(
    await tx.execute(sql.raw(`select pg_try_advisory_xact_lock(${AUDIT_CHAIN_LOCK}) as locked`)),
  );
  return row?.locked === true;
}
