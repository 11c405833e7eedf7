import { z } from 'zod';
import { wardenError } from '../../shared/errors.ts';
import { READ_TOOL } from '../define.ts';
import { toolSpec } from '../tool-spec.ts';
import { type SandboxToolDeps, sandboxReadTool } from './sandbox.calls.ts';
import { findIncident, listIncidentTickets } from './sandbox.repository.ts';
import { incidentIdSchema } from './world.schemas.ts';

const input = z.strictObject({
  incident_id: incidentIdSchema.describe('The incident to read, such as INC-123.'),
});

/** Reads one incident and the tickets already filed for it. */
export const getIncidentInfo = {
  name: 'get_incident',
  description:
    'Read an incident: title, description, severity, status, the affected service and environment, when it opened, and tickets already filed for it.',
  input,
  ...READ_TOOL,
} as const;

/** Builds get_incident with its executor. */
export function createGetIncidentTool(deps: SandboxToolDeps) {
  return sandboxReadTool({
    info: getIncidentInfo,
    deps,
    read: async ({ args }) => {
      const incident = await findIncident({ db: deps.db, id: args.incident_id });
      if (!incident)
        throw wardenError({
          code: 'sandbox.unknown_incident',
          message: `There is no incident ${args.incident_id}.`,
          details: { incidentId: args.incident_id },
        });
      const tickets = await listIncidentTickets({ db: deps.db, incidentId: incident.id });
      return {
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
          tickets: tickets.map((t) => ({
            id: t.id,
            title: t.title,
            severity: t.severity,
            createdBy: t.createdBy,
            createdAt: t.createdAt.toISOString(),
          })),
        },
      };
    },
  });
}

/** getIncident's entry in the tool catalog. */
export const getIncidentTool = toolSpec({
  info: getIncidentInfo,
  system: 'sandbox',
  worlds: ['sandbox'],
  build: createGetIncidentTool,
});
