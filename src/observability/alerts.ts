import type { AuditLog } from '../audit/audit.repository.ts';
import type { AuditEvent } from '../audit/audit.types.ts';
import type { Db } from '../db/client.ts';
import type { AlertsSpec, Charter } from '../policy/charter.schemas.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import { getProposal } from '../proposals/proposals.repository.ts';
import type { Logger } from '../shared/logger.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { checkBreakerTripped, type TripView } from './alerts.breaker-rule.ts';
import { createRaisedAlerts } from './alerts.raised.ts';
import {
  ALERT_ACTION,
  countActionOutcomes,
  countApprovalDecisions,
  lastRaisedSince,
  listWriteStarts,
  lockAlertChain,
} from './alerts.repository.ts';
import {
  type Alert,
  alertSettings,
  checkApprovalRate,
  checkEscalationLoop,
  checkNewEnvironment,
  checkOffHours,
  checkRepeatedFailures,
  isWorkingTime,
  offHoursKey,
} from './alerts.rules.ts';
import { checkVersionsChanged } from './alerts.versions-rule.ts';
import type { FedEvent } from './audit-feed.ts';

/** Off-hours writes read back at most: enough to compare with any sensible threshold. */
const MAX_WRITES_READ = 1_000;

export type AlertEvaluatorDeps = {
  db: Db;
  audit: AuditLog;
  charters: CharterSet;
  registry: ToolRegistry;
  logger: Logger;
};

/**
 * Behaviour alerts from the audit stream: each committed event is checked against the rules it can trigger,
 * with the thresholds of the agent's charter and windows ending at the event's time. A rule that fires is
 * an `alert.raised` audit event (at most one per key per cool-down, on every instance together), which the
 * alert poster then takes to the alerts channel.
 */
export function createAlertEvaluator(deps: AlertEvaluatorDeps) {
  const raised = createRaisedAlerts();
  const writeTools = () =>
    deps.registry
      .list()
      .filter((t) => t.kind === 'write')
      .map((t) => t.name);

  async function check(event: AuditEvent, charter: Charter): Promise<Alert[]> {
    const agent = charter.agent;
    const spec = alertSettings({ charter });
    const since = (ms: number) => new Date(event.at.getTime() - ms);
    switch (event.action) {
      case 'approval.recorded':
      case 'approval.rejected': {
        if (!spec.approval_rate.enabled) return [];
        const counts = await countApprovalDecisions({
          db: deps.db,
          agent,
          since: since(spec.approval_rate.window),
        });
        return present([checkApprovalRate({ agent, spec: spec.approval_rate, ...counts })]);
      }
      case 'execution.failed':
      case 'execution.outcome_unknown':
        return present([await repeatedFailures(event, agent, spec)]);
      case 'execution.started':
        return present(await writeChecks(event, agent, spec));
      case 'breaker.tripped':
        return present([checkBreakerTripped({ agent, spec: spec.breaker_tripped, trip: tripOf(event) })]);
      case 'agent.versions_changed':
        return present([checkVersionsChanged({ agent, details: event.details })]);
      case 'proposal.decided':
        return event.decision === 'needs_approval' ? present([await escalationLoop(event, agent, spec)]) : [];
      default:
        return [];
    }
  }

  async function repeatedFailures(event: AuditEvent, agent: string, spec: AlertsSpec): Promise<Alert | null> {
    if (!spec.repeated_failures.enabled || !event.proposalId) return null;
    const proposal = await getProposal({ db: deps.db, id: event.proposalId });
    if (!proposal) return null;
    const failures = await countActionOutcomes({
      db: deps.db,
      agent,
      actionHash: proposal.actionHash,
      states: ['failed', 'outcome_unknown'],
      since: new Date(event.at.getTime() - spec.repeated_failures.window),
    });
    return checkRepeatedFailures({
      agent,
      spec: spec.repeated_failures,
      failures,
      tool: proposal.tool,
      environment: proposal.environment,
      actionHash: proposal.actionHash,
    });
  }

  async function writeChecks(event: AuditEvent, agent: string, spec: AlertsSpec): Promise<(Alert | null)[]> {
    const tool = typeof event.details.tool === 'string' ? event.details.tool : '';
    const tools = writeTools();
    if (!tools.includes(tool) || !event.environment) return [];
    const out: (Alert | null)[] = [];
    if (spec.new_environment.enabled) {
      const lookback = {
        db: deps.db,
        agent,
        tools,
        since: new Date(event.at.getTime() - spec.new_environment.lookback),
        beforeSeq: event.seq,
        limit: 1,
      };
      const here = await listWriteStarts({ ...lookback, environment: event.environment });
      // Only for the words: a first write anywhere is new too.
      const anywhere = here.length > 0 ? here : await listWriteStarts(lookback);
      out.push(
        checkNewEnvironment({
          agent,
          spec: spec.new_environment,
          environment: event.environment,
          priorWritesHere: here.length,
          priorWritesElsewhere: anywhere.length,
          tool,
        }),
      );
    }
    const hours = spec.off_hours.working_hours;
    const offHoursSince = new Date(event.at.getTime() - spec.off_hours.window);
    // Counting the window's writes (up to 1,000 rows) is skipped while the alert is known raised within its
    // cool-down: it would not be raised again.
    if (
      spec.off_hours.enabled &&
      !isWorkingTime({ at: event.at, hours }) &&
      !raised.knownSince({ key: offHoursKey(agent), since: offHoursSince })
    ) {
      const earlier = await listWriteStarts({
        db: deps.db,
        agent,
        tools,
        since: offHoursSince,
        beforeSeq: event.seq,
        limit: MAX_WRITES_READ,
      });
      const offHoursWrites = 1 + earlier.filter((at) => !isWorkingTime({ at, hours })).length;
      out.push(checkOffHours({ agent, spec: spec.off_hours, offHoursWrites }));
    }
    return out;
  }

  async function escalationLoop(event: AuditEvent, agent: string, spec: AlertsSpec): Promise<Alert | null> {
    if (!spec.escalation_loop.enabled || !event.proposalId) return null;
    const proposal = await getProposal({ db: deps.db, id: event.proposalId });
    if (!proposal) return null;
    const priorEndings = await countActionOutcomes({
      db: deps.db,
      agent,
      actionHash: proposal.actionHash,
      states: ['rejected', 'expired'],
      since: new Date(event.at.getTime() - spec.escalation_loop.window),
      excludeId: proposal.id,
    });
    return checkEscalationLoop({
      agent,
      spec: spec.escalation_loop,
      priorEndings,
      tool: proposal.tool,
      environment: proposal.environment,
      actionHash: proposal.actionHash,
    });
  }

  /** Appends `alert.raised` unless the same alert was raised within its cool-down; null when it was. */
  async function raise({ alert, event, charter }: { alert: Alert; event: AuditEvent; charter: Charter }) {
    const since = new Date(event.at.getTime() - alert.coolDownMs);
    if (raised.knownSince({ key: alert.key, since })) return null;
    const owners = [...new Set(Object.values(charter.owners))];
    const appended = await deps.db.transaction(async (tx) => {
      await lockAlertChain({ tx });
      const last = await lastRaisedSince({ db: tx, agent: alert.agent, key: alert.key, since });
      if (last) {
        raised.note({ key: alert.key, at: last });
        return null;
      }
      return deps.audit.append(tx, {
        actor: 'warden',
        action: ALERT_ACTION,
        agent: alert.agent,
        environment: alert.environment,
        reasonCode: `alert.${alert.rule}`,
        charterHash: charter.hash,
        // No run id: alerts go to the alerts channel, not into a run's thread.
        incidentId: event.incidentId,
        proposalId: event.proposalId,
        details: {
          rule: alert.rule,
          key: alert.key,
          message: alert.message,
          figures: alert.figures,
          threshold: alert.threshold,
          owners,
          runId: event.runId,
          triggeredBy: { seq: event.seq, action: event.action },
        },
      });
    });
    if (appended) {
      raised.note({ key: alert.key, at: appended.at });
      deps.logger.warn(
        { rule: alert.rule, agent: alert.agent, auditId: appended.id, runId: event.runId ?? undefined },
        `behaviour alert: ${alert.message}`,
      );
    }
    return appended;
  }

  /** The feed consumer: checks one committed event and raises what fires. */
  async function evaluate({ event }: FedEvent): Promise<void> {
    if (!event.agent || event.action === ALERT_ACTION) return;
    const charter = deps.charters.get(event.agent);
    if (!charter) return;
    for (const alert of await check(event, charter)) await raise({ alert, event, charter });
  }

  return { evaluate };
}

export type AlertEvaluator = ReturnType<typeof createAlertEvaluator>;

/** The facts of a `breaker.tripped` event (details written by guard.writes.ts or execution-finish.ts). */
function tripOf(event: AuditEvent): TripView {
  const d = event.details;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    breaker: str(d.breaker) ?? 'unknown',
    key: str(d.key) ?? '*',
    scope: d.scope === 'run' ? 'run' : 'agent',
    reason: str(d.reason) ?? 'tripped',
    until: str(d.until),
    runId: event.runId,
    incidentId: event.incidentId,
    environment: event.environment,
  };
}

function present(alerts: (Alert | null)[]): Alert[] {
  return alerts.filter((a): a is Alert => a !== null);
}
