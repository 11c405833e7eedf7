import { eq } from 'drizzle-orm';
import type { AuditEventInput } from '../audit/audit.repository.ts';
import { wardenError } from '../shared/errors.ts';
import { cleanText } from '../shared/storable.ts';
import type { RunTriggerActor } from './alert-incidents.ts';
import type { AlertIntakeDeps } from './alert-intake.types.ts';
import { type OpeningOutcome, type OpeningSlack, startClaimedRun } from './incident-run-start.ts';
import { pagerDutyIncidentId, placePagerDutyService } from './pagerduty-incidents.ts';
import type { PagerDutyEvent } from './pagerduty-webhook.schemas.ts';
import {
  claimEventRun,
  findTriggeredEvent,
  type PagerDutyEventRow,
  recordEventOpening,
  recordPagerDutyEvent,
  settleEventRun,
} from './pagerduty-webhook-events.repository.ts';
import { pagerdutyWebhookEvents } from './pagerduty-webhook-events.table.ts';

/** Who a PagerDuty webhook event is audited as, and the requester of the runs it starts. */
export const PAGERDUTY_ACTOR = 'pagerduty' satisfies RunTriggerActor;

/** What the opening message in the owner channel says; the webhook renders it for Slack. */
export type PagerDutyOpening = {
  incidentId: string;
  title: string;
  service: string;
  environment: string;
  agent: string;
  outcome: OpeningOutcome;
};

export type PagerDutyIntakeDeps = Omit<AlertIntakeDeps, 'slack'> & { slack: OpeningSlack<PagerDutyOpening> };

export type PagerDutyIntakeResult =
  | { outcome: 'started' | 'duplicate'; incidentId: string; runId: string | null; note: string | null }
  | { outcome: 'ignored'; reason: string };

/**
 * Verified PagerDuty events → triage runs. `incident.triggered` on a PagerDuty service the catalog places
 * starts the alert agent's run in the service's owner channel, under the charter's alert-run mode. The
 * event id (and the incident) is recorded once in Postgres, so redeliveries, replays and other instances
 * start nothing more; a failure half-way throws (503) and the redelivery carries on where it stopped.
 */
export function createPagerDutyIntake(deps: PagerDutyIntakeDeps) {
  const claimMs = deps.claimMs ?? 60_000;

  async function receive({
    event,
    connection,
    prefix,
  }: {
    event: PagerDutyEvent['event'];
    connection: string;
    prefix: string;
  }): Promise<PagerDutyIntakeResult> {
    if (event.event_type !== 'incident.triggered') return { outcome: 'ignored', reason: 'event_type' };
    const { number, service } = event.data;
    if (number === undefined || service === undefined) return ignore(event, 'incomplete_event');
    const incidentId = pagerDutyIncidentId({ prefix, number });
    const charter = deps.charters.get(deps.agent);
    if (!charter) return ignore(event, 'agent_unknown', incidentId);
    const placed = placePagerDutyService({ services: deps.services(), connection, serviceId: service.id });
    if (!placed.ok) return ignore(event, placed.reason, incidentId);
    if (!Object.hasOwn(charter.environments, placed.environment))
      return ignore(event, 'environment_not_in_charter', incidentId);
    const now = deps.clock.now();
    const title = cleanText(deps.redactor.redactText(event.data.title ?? '')).slice(0, 120);
    const row = await recordPagerDutyEvent({
      db: deps.db,
      event: {
        eventId: event.id,
        eventType: event.event_type,
        connection,
        incidentId,
        service: placed.service,
        environment: placed.environment,
        agent: charter.agent,
        slackChannel: placed.ownerChannel,
        occurredAt: new Date(event.occurred_at),
        receivedAt: now,
      },
    });
    const audit = (action: string, at: PagerDutyEventRow, extra: Partial<AuditEventInput> = {}) =>
      deps.audit.appendNow(deps.db, {
        actor: PAGERDUTY_ACTOR,
        action,
        agent: at.agent,
        environment: at.environment,
        incidentId: at.incidentId,
        runId: at.runId,
        details: { service: at.service, eventId: at.eventId, connection, title },
        ...extra,
      });
    if (row) {
      await audit('pagerduty.received', row);
      return { outcome: 'started', incidentId, ...(await ensureRun(row, title)) };
    }
    const [byEvent] = await deps.db
      .select()
      .from(pagerdutyWebhookEvents)
      .where(eq(pagerdutyWebhookEvents.eventId, event.id));
    const existing = byEvent ?? (await findTriggeredEvent({ db: deps.db, incidentId }));
    if (!existing) throw new Error('the PagerDuty event was recorded and is gone');
    if (existing.runId || existing.runSkipped) {
      await audit('pagerduty.duplicate', existing, { details: { eventId: event.id, connection } });
      return { outcome: 'duplicate', incidentId, runId: existing.runId, note: existing.runSkipped };
    }
    // A redelivery after a failure half-way: carry on.
    return { outcome: 'started', incidentId, ...(await ensureRun(existing, title)) };
  }

  async function ensureRun(
    row: PagerDutyEventRow,
    title: string,
  ): Promise<{ runId: string | null; note: string | null }> {
    const now = deps.clock.now();
    const claimed = await claimEventRun({
      db: deps.db,
      eventId: row.eventId,
      now,
      until: new Date(now.getTime() + claimMs),
    });
    if (!claimed) {
      const [current] = await deps.db
        .select()
        .from(pagerdutyWebhookEvents)
        .where(eq(pagerdutyWebhookEvents.eventId, row.eventId));
      if (current?.runId || current?.runSkipped) return { runId: current.runId, note: current.runSkipped };
      throw wardenError({
        code: 'incidents.run_starting',
        message: `Another request is starting the run of ${row.incidentId}; send the event again.`,
      });
    }
    const { eventId } = claimed;
    return startClaimedRun({
      deps,
      claimed: {
        incidentId: claimed.incidentId,
        agent: claimed.agent,
        environment: claimed.environment,
        channel: claimed.slackChannel,
        slackTs: claimed.slackTs,
        requester: PAGERDUTY_ACTOR,
        message: (outcome): PagerDutyOpening => ({
          incidentId: claimed.incidentId,
          title,
          service: claimed.service,
          environment: claimed.environment,
          agent: claimed.agent,
          outcome,
        }),
        settle: (result) => settleEventRun({ db: deps.db, eventId, ...result }),
        recordOpening: (slackTs) => recordEventOpening({ db: deps.db, eventId, slackTs }),
        auditSkipped: async (reason) => {
          await deps.audit.appendNow(deps.db, {
            actor: PAGERDUTY_ACTOR,
            action: 'pagerduty.run_skipped',
            agent: claimed.agent,
            environment: claimed.environment,
            incidentId: claimed.incidentId,
            reasonCode: reason,
            details: { service: claimed.service, eventId },
          });
        },
      },
    });
  }

  async function ignore(
    event: PagerDutyEvent['event'],
    reason: string,
    incidentId?: string,
  ): Promise<PagerDutyIntakeResult> {
    deps.logger.info({ reason, eventId: event.id }, 'PagerDuty event ignored');
    await deps.audit.appendNow(deps.db, {
      actor: PAGERDUTY_ACTOR,
      action: 'pagerduty.ignored',
      agent: deps.agent,
      incidentId: incidentId ?? null,
      reasonCode: reason,
      details: { eventId: event.id, eventType: event.event_type },
    });
    return { outcome: 'ignored', reason };
  }

  return { receive };
}

export type PagerDutyIntake = ReturnType<typeof createPagerDutyIntake>;
