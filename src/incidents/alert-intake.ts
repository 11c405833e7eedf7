import type { AuditEventInput } from '../audit/audit.repository.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { wardenError } from '../shared/errors.ts';
import { cleanJson, cleanText } from '../shared/storable.ts';
import {
  type AlertIncidentRow,
  claimRunStart,
  getAlertIncident,
  lockOpenAlertIncident,
  openAlertIncident,
  recordOpeningMessage,
  settleRunStart,
  updateAlertIncident,
} from './alert-incidents.repository.ts';
import {
  ALERT_RUN_REQUESTER,
  alertNameOf,
  groupKeyHash,
  incidentFieldsOf,
  placeAlertGroup,
} from './alert-incidents.ts';
import type { AlertIntakeDeps, IntakeResult, OpeningMessage } from './alert-intake.types.ts';
import type { AlertmanagerNotification } from './alertmanager-webhook.schemas.ts';
import { startClaimedRun } from './incident-run-start.ts';

export type { AlertIntakeDeps, AlertSlack, IntakeResult, OpeningMessage } from './alert-intake.types.ts';

const TITLE_IN_AUDIT = 120;

/**
 * Alertmanager notifications → alert incidents and their runs. Each step is idempotent, so a retry after a
 * partial success (Slack or the database failed half-way) carries on where the first attempt stopped and
 * never opens a second incident or starts a second run. Throws when a retry should happen (the caller
 * answers 5xx and Alertmanager sends the notification again).
 */
export function createAlertIntake(deps: AlertIntakeDeps) {
  const claimMs = deps.claimMs ?? 60_000;

  /** Handles one notification; resolves once its incident is recorded and its run (if any) has started. */
  async function receive({
    notification,
  }: {
    notification: AlertmanagerNotification;
  }): Promise<IntakeResult> {
    const hash = groupKeyHash(notification.groupKey);
    if (notification.status === 'resolved') return resolve({ notification, hash });
    const charter = deps.charters.get(deps.agent);
    if (!charter) {
      deps.logger.error(
        { agent: deps.agent },
        'WARDEN_ALERT_AGENT names no loaded charter; alerts start no runs',
      );
      return ignore({ notification, hash, reason: 'agent_unknown' });
    }
    const placed = placeAlertGroup({ services: deps.services(), commonLabels: notification.commonLabels });
    if (!placed.ok) return ignore({ notification, hash, reason: placed.reason, matches: placed.matches });
    if (!Object.hasOwn(charter.environments, placed.environment))
      return ignore({ notification, hash, reason: 'environment_not_in_charter' });
    const fields = storable(incidentFieldsOf(notification));
    const now = deps.clock.now();
    const { incident, opened } = await deps.db.transaction(async (tx) => {
      const created = await openAlertIncident({
        tx,
        incident: {
          ...fields,
          groupKey: cleanText(notification.groupKey),
          groupKeyHash: hash,
          service: placed.service,
          environment: placed.environment,
          status: 'open',
          openedAt: now,
          lastNotifiedAt: now,
          agent: charter.agent,
          slackChannel: placed.ownerChannel,
        },
      });
      const row = created ?? (await lockOpenAlertIncident({ tx, groupKeyHash: hash }));
      // The open incident was resolved between the two statements: the retry opens a new one.
      if (!row) throw new Error('the open incident of this alert group changed while it was read');
      const audit = auditOf({ incident: row, notification, hash });
      if (created) {
        await deps.audit.append(tx, { ...audit, action: 'alert.received' });
        await deps.audit.append(tx, { ...audit, action: 'alert.incident_opened' });
        return { incident: row, opened: true };
      }
      const fingerprints = [...new Set([...row.fingerprints, ...fields.fingerprints])].slice(0, 500);
      const updated = await updateAlertIncident({
        tx,
        id: row.id,
        changes: { alerts: fields.alerts, alertCount: fields.alertCount, fingerprints, lastNotifiedAt: now },
      });
      await deps.audit.append(tx, { ...audit, action: 'alert.duplicate' });
      return { incident: updated ?? row, opened: false };
    });
    const started = await ensureRun({ incident, notification, charter });
    return { outcome: opened ? 'opened' : 'duplicate', incidentId: incident.id, ...started };
  }

  /**
   * Starts the incident's run unless it has one, was refused one, or another request is starting it.
   * The claim, the look-up of a run started before a crash, and the recorded opening message make a
   * retry safe; a failure releases the claim so the next retry carries on.
   */
  async function ensureRun({
    incident,
    notification,
    charter,
  }: {
    incident: AlertIncidentRow;
    notification: AlertmanagerNotification;
    charter: Charter;
  }): Promise<{ runId: string | null; note: string | null }> {
    if (incident.runId || incident.runSkipped) return { runId: incident.runId, note: incident.runSkipped };
    const now = deps.clock.now();
    const until = new Date(now.getTime() + claimMs);
    const claimed = await claimRunStart({ db: deps.db, id: incident.id, now, until });
    if (!claimed) {
      const current = await getAlertIncident({ db: deps.db, id: incident.id });
      if (current?.runId || current?.runSkipped) return { runId: current.runId, note: current.runSkipped };
      // Acknowledged only once the run has started or is refused for good: Alertmanager sends it again.
      throw wardenError({
        code: 'incidents.run_starting',
        message: `Another request is starting the run of ${incident.id}; send the notification again.`,
      });
    }
    return startClaimedRun({
      deps,
      claimed: {
        incidentId: claimed.id,
        agent: charter.agent,
        environment: claimed.environment,
        channel: claimed.slackChannel,
        slackTs: claimed.slackTs,
        requester: ALERT_RUN_REQUESTER,
        message: (outcome): OpeningMessage => ({
          incidentId: claimed.id,
          alertName: cleanText(alertNameOf(notification)).slice(0, 80),
          service: claimed.service,
          environment: claimed.environment,
          alertCount: claimed.alertCount,
          agent: charter.agent,
          outcome,
        }),
        settle: (result) => settleRunStart({ db: deps.db, id: claimed.id, ...result }),
        recordOpening: (slackTs) => recordOpeningMessage({ db: deps.db, id: claimed.id, slackTs }),
        auditSkipped: async (reason) => {
          await deps.audit.appendNow(deps.db, {
            ...auditOf({ incident: claimed, notification, hash: claimed.groupKeyHash }),
            action: 'alert.run_skipped',
            reasonCode: reason,
          });
        },
      },
    });
  }

  async function resolve({
    notification,
    hash,
  }: {
    notification: AlertmanagerNotification;
    hash: string;
  }): Promise<IntakeResult> {
    const fields = storable(incidentFieldsOf(notification));
    const now = deps.clock.now();
    const resolved = await deps.db.transaction(async (tx) => {
      const open = await lockOpenAlertIncident({ tx, groupKeyHash: hash });
      if (!open) return null;
      const changes = { status: 'resolved', resolvedAt: now, lastNotifiedAt: now, alerts: fields.alerts };
      const row = (await updateAlertIncident({ tx, id: open.id, changes })) ?? open;
      // With the run's id, the thread mirror posts this line in the run's thread.
      await deps.audit.append(tx, {
        ...auditOf({ incident: row, notification, hash }),
        action: 'alert.resolved',
      });
      return row;
    });
    if (!resolved) return ignore({ notification, hash, reason: 'no_open_incident' });
    return { outcome: 'resolved', incidentId: resolved.id };
  }

  async function ignore({
    notification,
    hash,
    reason,
    matches,
  }: {
    notification: AlertmanagerNotification;
    hash: string;
    reason: string;
    matches?: string[];
  }): Promise<IntakeResult> {
    deps.logger.info({ reason, groupKeyHash: hash, matches }, 'alert notification ignored');
    await deps.audit.appendNow(deps.db, {
      actor: ALERT_RUN_REQUESTER,
      action: 'alert.ignored',
      agent: deps.agent,
      reasonCode: reason,
      details: {
        groupKeyHash: hash,
        status: notification.status,
        alerts: notification.alerts.length,
        title: auditTitle(alertNameOf(notification)),
        ...(matches ? { matches: matches.slice(0, 10) } : {}),
      },
    });
    return { outcome: 'ignored', reason };
  }

  /** The fields every alert event carries: no annotation text beyond the redacted, capped title. */
  function auditOf({
    incident,
    notification,
    hash,
  }: {
    incident: AlertIncidentRow;
    notification: AlertmanagerNotification;
    hash: string;
  }): Omit<AuditEventInput, 'action'> {
    return {
      actor: ALERT_RUN_REQUESTER,
      agent: incident.agent,
      environment: incident.environment,
      incidentId: incident.id,
      runId: incident.runId,
      details: {
        service: incident.service,
        groupKeyHash: hash,
        status: notification.status,
        alerts: notification.alerts.length,
        title: auditTitle(incident.title),
      },
    };
  }

  function auditTitle(text: string): string {
    return cleanText(deps.redactor.redactText(text)).slice(0, TITLE_IN_AUDIT);
  }

  /** Untrusted text as stored: secrets redacted, what Postgres refuses replaced. */
  function storable<T>(value: T): T {
    return cleanJson(deps.redactor.redactValue(value));
  }

  return { receive };
}

export type AlertIntake = ReturnType<typeof createAlertIntake>;
