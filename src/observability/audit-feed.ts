import type { AuditEvent } from '../audit/audit.types.ts';
import { outsideDeadline } from '../db/deadline.ts';
import { outsideLogIds } from '../shared/log-context.ts';
import type { Logger } from '../shared/logger.ts';

/** One linked audit event as a consumer sees it; `appendedAtMs` is `performance.now()` when it was linked. */
export type FedEvent = { event: AuditEvent; appendedAtMs: number };
export type AuditConsumer = (fed: FedEvent) => Promise<void> | void;

/**
 * The audit events this instance's chainer links, handed to consumers (metrics, alerts) after the batch
 * that linked them has committed: an event that rolled back is never linked, and each event is linked,
 * so delivered, once across all instances. Consumers run later, off the writer's path, one event at a time
 * in seq order; they never slow down or change the step that was audited.
 */
export function createAuditFeed({ logger }: { logger: Logger }) {
  const consumers: AuditConsumer[] = [];
  let pending: FedEvent[] = [];
  let draining: Promise<void> | null = null;
  let stopped = false;
  let deliveredCount = 0;

  function onLinked(events: AuditEvent[]): void {
    if (stopped) return;
    const appendedAtMs = performance.now();
    for (const event of events) pending.push({ event, appendedAtMs });
    kick();
  }

  function kick(): void {
    if (draining || stopped) return;
    // Not the appending request's work: its log lines must not carry that request's id, nor its statements
    // that request's deadline.
    draining = outsideLogIds(() =>
      outsideDeadline(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        await drain();
      }),
    ).finally(() => {
      draining = null;
      if (pending.length > 0 && !stopped) kick();
    });
  }

  async function drain(): Promise<void> {
    while (pending.length > 0 && !stopped) {
      const batch = pending;
      pending = [];
      batch.sort((a, b) => a.event.seq - b.event.seq);
      for (const item of batch) await deliver(item);
    }
  }

  async function deliver(item: FedEvent): Promise<void> {
    deliveredCount += 1;
    for (const consumer of consumers) {
      try {
        await consumer(item);
      } catch (error) {
        logger.warn({ err: error, seq: item.event.seq, action: item.event.action }, 'audit consumer failed');
      }
    }
  }

  return {
    /** The hook given to `createAuditChainer({ onLinked })`. */
    onLinked,
    /** Adds a consumer; consumers see each committed event once, in seq order within a batch. */
    subscribe: (consumer: AuditConsumer): void => {
      consumers.push(consumer);
    },
    /** How many events were handed over so far (a settle loop stops when a round adds none). */
    delivered: (): number => deliveredCount,
    /** Resolves when every event linked so far has been delivered (tests, shutdown). */
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
