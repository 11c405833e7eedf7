import { createAuditChainer } from '../audit/audit.chainer.ts';
import { createAuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import { createObservability } from '../observability/observability.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import type { Redactor } from '../shared/redact.ts';

/** How long stopping waits to link what this instance committed last; a later start or another instance links the rest. */
const FINAL_LINK_MS = 2_000;

/**
 * The audit log, the chainer that links what it commits, and what the chain feeds (metrics and behaviour
 * alerts, `observability`), started and stopped together.
 */
export function startAuditStream({
  db,
  clock,
  logger,
  redactor,
}: {
  db: Db;
  clock: Clock;
  logger: Logger;
  redactor: Redactor;
}) {
  // Metrics and behaviour alerts follow the audit stream: every step is an audit event already.
  const observability = createObservability({ db, clock, logger });
  // Steps commit their events unlinked; the chainer links them in batches and feeds what it linked on.
  const chainer = createAuditChainer({ db, logger, onLinked: observability.onLinked });
  const audit = createAuditLog({ redactor, clock, chainer });
  chainer.start();
  return {
    audit,
    chainer,
    observability,
    /**
     * Links every event committed so far and hands it to metrics and alerts, again for the alerts that
     * raised, until a round links and delivers nothing (tests and the CLI; an instance does this itself).
     */
    settle: async (): Promise<void> => {
      let delivered = observability.delivered();
      for (let round = 0; round < 10; round += 1) {
        const linked = await chainer.linkNow();
        await observability.flush();
        if (linked === 0 && observability.delivered() === delivered) return;
        delivered = observability.delivered();
      }
    },
    /** Stops the chainer after one last pass (so a clean stop leaves nothing of this instance unlinked), then the feed. */
    stop: async (): Promise<void> => {
      await chainer.stop();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FINAL_LINK_MS);
      });
      await Promise.race([chainer.linkNow().then(noop, noop), late]);
      clearTimeout(timer);
      await observability.stop();
    },
  };
}

const noop = (): void => {};
