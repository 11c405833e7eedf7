import { throwIfCancelled } from '../catalog.calls.ts';
import type { ToolContext, ToolResult } from '../define.ts';
import type { ToolDeps } from '../tool-spec.ts';
import { MAX_ITEMS, pagerDutyIncidentFor } from './pagerduty.calls.ts';

const MAX_NOTE = 1_000;

/**
 * get_incident for a PagerDuty incident: the incident, its alerts, log entries and notes, clipped. All of
 * it is whoever raised the incident's text: returned as data (the runner delimits it and runs the
 * injection detector over it like every tool result) and redacted by the caller.
 */
export async function readPagerDutyIncident({
  incidentId,
  context,
  deps,
  tool,
}: {
  incidentId: string;
  context: ToolContext;
  deps: ToolDeps;
  tool: string;
}): Promise<ToolResult> {
  const { client, incident, service, environment } = await pagerDutyIncidentFor({
    tool,
    incidentId,
    context,
    deps,
  });
  const signal = context.signal;
  const [alerts, logEntries, notes] = await Promise.all([
    client.alerts({ incidentId: incident.id, limit: MAX_ITEMS, signal }),
    client.logEntries({ incidentId: incident.id, limit: MAX_ITEMS, signal }),
    client.notes({ incidentId: incident.id, signal }),
  ]);
  throwIfCancelled(signal);
  return deps.redactor.redactValue({
    summary: `${incidentId} (PagerDuty ${incident.id}, ${incident.urgency ?? 'unknown'} urgency, ${incident.status}): ${incident.title} — ${service} in ${environment}`,
    data: {
      incident: {
        id: incidentId,
        pagerdutyId: incident.id,
        number: incident.incident_number,
        title: incident.title,
        description: incident.description ?? '',
        status: incident.status,
        urgency: incident.urgency ?? null,
        priority: incident.priority?.summary ?? null,
        service,
        environment,
        pagerdutyService: incident.service.summary ?? incident.service.id,
        openedAt: incident.created_at,
        url: incident.html_url ?? null,
      },
      alerts: alerts.slice(0, MAX_ITEMS).map((a) => ({
        status: a.status,
        severity: a.severity ?? null,
        summary: a.summary ?? '',
        createdAt: a.created_at,
      })),
      logEntries: logEntries
        .slice(0, MAX_ITEMS)
        .map((e) => ({ type: e.type, summary: e.summary ?? '', at: e.created_at })),
      notes: notes.slice(-MAX_ITEMS).map((n) => ({
        content: n.content.slice(0, MAX_NOTE),
        by: n.user?.summary ?? null,
        at: n.created_at,
      })),
      counts: { alerts: alerts.length, logEntries: logEntries.length, notes: notes.length },
    },
  });
}
