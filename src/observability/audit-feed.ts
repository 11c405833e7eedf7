import type { AuditEvent } from '../audit/audit.types.ts';
import type { Db } from '../db/client.ts';
import { readCommittedHashes, readSettledHashes } from './alerts.repository.ts';
import { outsideLogIds } from './log-context.ts';
import type { Logger } from './logger.ts';

/** One committed audit event as a consumer sees it; `appendedAtMs` is `performance.now()` at the insert. */
export type FedEvent = { event: AuditEvent; appendedAtMs: number };
export type AuditConsumer = (fed: FedEvent) => Promise<void> | void;

type Pending = FedEvent & { firstSeenMs: number };

/** A transaction still open after this long is taken to have rolled back; its event is dropped. */
const GIVE_UP_MS = 60_000;

/**
 * The audit events this instance appends, handed to consumers (metrics, alerts) only once they have
 * committed: the audit hook fires inside the writer's transaction, which may still roll back. Each batch is
 * read back by (seq, hash): a match has committed; the same seq with another hash means the first attempt
 * rolled back and the seq was reused; nothing there while the chain lock is free means it rolled back;
 * nothing there while a writer holds the lock means its transaction may still be open, so it is asked again.
 * Consumers run after the step that was audited and never slow it down or change it.
 */
export function createAuditFeed({ db, logger }: { db: Db; logger: Logger }) {
  const consumers: AuditConsumer[] = [];
  let pending: Pending[] = [];
  let draining: Promise<void> | null = null;
  let stopped = false;

  function onAppended(event: AuditEvent): void {
    if (stopped) return;
    const now = performance.now();
    pending.push({ event, appendedAtMs: now, firstSeenMs: now });
    kick();
  }

  function kick(): void {
    if (draining || stopped) return;
    // Not the appending request's work: its log lines must not carry that request's id.
    draining = outsideLogIds(async () => {
      // Never inside the writer's transaction: start after the current turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      await drain();
    }).finally(() => {
      draining = null;
      if (pending.length > 0) kick();
    });
  }

  async function drain(): Promise<void> {
    let delayMs = 2;
    while (pending.length > 0 && !stopped) {
      const batch = pending;
      pending = [];
      const committed = await readCommittedHashes({ db, seqs: batch.map((p) => p.event.seq) }).catch(
        (error: unknown) => {
          logger.warn({ err: error }, 'could not read back audit events for metrics and alerts; will retry');
          return null;
        },
      );
      const now = performance.now();
      const ready: Pending[] = [];
      const waiting: Pending[] = [];
      for (const item of batch) {
        const hash = committed?.get(item.event.seq);
        if (hash === item.event.hash) ready.push(item);
        else if (hash === undefined && now - item.firstSeenMs < GIVE_UP_MS) waiting.push(item);
      }
      if (waiting.length > 0 && committed) {
        // Not visible yet: either its transaction is still open, or it rolled back. Ask once the chain is idle.
        const settled = await readSettledHashes({ db, seqs: waiting.map((p) => p.event.seq) }).catch(
          () => null,
        );
        if (settled) {
          for (const item of waiting.splice(0))
            if (settled.get(item.event.seq) === item.event.hash) ready.push(item);
        }
      }
      ready.sort((a, b) => a.event.seq - b.event.seq);
      for (const item of ready) await deliver(item);
      if (waiting.length > 0) {
        pending = [...waiting, ...pending];
        if (ready.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          delayMs = Math.min(delayMs * 2, 500);
        }
      }
    }
  }

  async function deliver(item: FedEvent): Promise<void> {
    for (const consumer of consumers) {
      try {
        await consumer(item);
      } catch (error) {
        logger.warn({ err: error, seq: item.event.seq, action: item.event.action }, 'audit consumer failed');
      }
    }
  }

  return {
    /** The hook given to `createAuditLog({ onAppended })`. */
    onAppended,
    /** Adds a consumer; consumers see each committed event once, in seq order within a batch. */
    subscribe: (consumer: AuditConsumer): void => {
      consumers.push(consumer);
    },
    /** Resolves when every event appended so far has been delivered or dropped (tests, shutdown). */
    flush: async (): Promise<void> => {
      while (draining || (pending.length > 0 && !stopped)) {
        kick();
        await draining;
      }
    },
    /** Stops delivering; waits for the batch in progress. */
    stop: async (): Promise<void> => {
      stopped = true;
      await draining;
    },
  };
}

export type AuditFeed = ReturnType<typeof createAuditFeed>;
