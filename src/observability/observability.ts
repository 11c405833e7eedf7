import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { createAlertEvaluator } from './alerts.ts';
import { createAuditFeed } from './audit-feed.ts';
import { createAuditMetrics } from './audit-metrics.ts';
import { createWardenMetrics } from './metrics.ts';

/**
 * Metrics and behaviour alerts, both fed by the audit stream. Built before the audit chainer (whose
 * `onLinked` hook feeds it); alerts start once the audit log exists, since they are audit events too.
 */
export function createObservability({ db, clock, logger }: { db: Db; clock: Clock; logger: Logger }) {
  const metrics = createWardenMetrics({ db, clock });
  const feed = createAuditFeed({ logger });
  feed.subscribe(createAuditMetrics({ db, metrics }).record);
  let alertsOn = false;
  return {
    metrics,
    feed,
    /** The hook for `createAuditChainer({ onLinked })`. */
    onLinked: feed.onLinked,
    /** Evaluates behaviour alerts on every committed event from now on. */
    startAlerts({
      audit,
      charters,
      registry,
    }: {
      audit: AuditLog;
      charters: CharterSet;
      registry: ToolRegistry;
    }) {
      if (alertsOn) return;
      alertsOn = true;
      metrics.useCharters(() => charters.list());
      feed.subscribe(createAlertEvaluator({ db, audit, charters, registry, logger }).evaluate);
    },
    /** Waits until every event linked so far has been counted and checked (tests, shutdown). */
    flush: feed.flush,
    delivered: feed.delivered,
    stop: feed.stop,
  };
}

export type Observability = ReturnType<typeof createObservability>;
