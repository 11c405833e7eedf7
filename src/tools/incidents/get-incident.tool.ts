import { ALERT_INCIDENT_ID } from '../../incidents/alert-incidents.directory.ts';
import { getAlertIncident } from '../../incidents/alert-incidents.repository.ts';
import { wardenError } from '../../shared/errors.ts';
import { defineTool, type ToolDefinition } from '../define.ts';
import { readPagerDutyIncident } from '../pagerduty/get-incident.read.ts';
import { getIncidentInfo } from '../sandbox/get-incident.tool.ts';
import { throwIfAborted } from '../sandbox/sandbox.calls.ts';
import type { ToolDeps } from '../tool-spec.ts';
import { toolSpec } from '../tool-spec.ts';

/** get_incident as the catalog world describes it: the sandbox's name, input, kind and risk. */
export const alertGetIncidentInfo = {
  ...getIncidentInfo,
  description:
    'Read an incident opened by an alert (ALERT-<n>) or a PagerDuty incident (such as INC-1234): title, description, severity or urgency, status, the affected service and environment, when it opened, and its alerts; for PagerDuty also its log entries and notes.',
} as const;

/**
 * get_incident in the catalog world: reads an incident Alertmanager opened (`ALERT-<n>`) from Warden's
 * own records, with its alerts. Same name, input, kind and risk as the sandbox's; the title, description
 * and annotations are the alert rule author's text: untrusted, returned as data and redacted.
 */
export function createAlertGetIncidentTool(deps: ToolDeps): ToolDefinition {
  return defineTool<{ incident_id: string }>({
    ...alertGetIncidentInfo,
    execute: async (args, context) => {
      throwIfAborted(context.signal);
      if (!ALERT_INCIDENT_ID.test(args.incident_id))
        return readPagerDutyIncident({
          incidentId: args.incident_id,
          context,
          deps,
          tool: getIncidentInfo.name,
        });
      await deps.broker.verify({
        token: context.credential,
        tool: getIncidentInfo.name,
        environment: context.environment,
        proposalId: context.proposalId,
      });
      const incident = await getAlertIncident({ db: deps.db, id: args.incident_id });
      if (!incident)
        throw wardenError({
          code: 'incidents.unknown_incident',
          message: `There is no incident ${args.incident_id}.`,
          details: { incidentId: args.incident_id },
        });
      throwIfAborted(context.signal);
      return deps.redactor.redactValue({
        summary: `${incident.id} (${incident.severity}, ${incident.status}): ${incident.title} — ${incident.service} in ${incident.environment}`,
        data: {
          incident: {
            id: incident.id,
            title: incident.title,
            description: incident.description,
            severity: incident.severity,
            status: incident.status,
            service: incident.service,
            environment: incident.environment,
            openedAt: incident.openedAt.toISOString(),
          },
          alerts: incident.alerts.map((a) => ({
            labels: a.labels,
            annotations: a.annotations,
            startsAt: a.startsAt,
            generatorURL: a.generatorURL,
          })),
          alertCount: incident.alertCount,
        },
      });
    },
  });
}

/** The catalog world's get_incident in the tool catalog. */
export const alertGetIncidentTool = toolSpec({
  info: alertGetIncidentInfo,
  // Warden's own database, like the sandbox's: no connection to a real system is needed.
  system: 'sandbox',
  worlds: ['catalog'],
  build: createAlertGetIncidentTool,
});
