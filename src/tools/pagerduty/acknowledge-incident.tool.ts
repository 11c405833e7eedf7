import { z } from 'zod';
import { defineTool } from '../define.ts';
import { incidentIdSchema } from '../sandbox/world.schemas.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { fromOf, pagerDutyIncidentFor } from './pagerduty.calls.ts';

const input = z.strictObject({
  incident_id: incidentIdSchema.describe('The PagerDuty incident, as Warden names it, such as INC-1234.'),
});

/** Acknowledges a PagerDuty incident (stops its escalation), From the person who approved it. */
export const acknowledgeIncidentInfo = {
  name: 'acknowledge_incident',
  description:
    'Acknowledge a triggered PagerDuty incident in the target environment, which stops its escalation. PagerDuty records the person who approved it as acknowledging. An incident already acknowledged or resolved is left as it is.',
  input,
  kind: 'write',
  risk: 'medium',
  reversible: false,
  idempotent: true,
} as const;

type AckArgs = z.infer<typeof input>;

/** Builds acknowledge_incident: acknowledging an incident that is no longer triggered changes nothing. */
export function createAcknowledgeIncidentTool(deps: ToolDeps) {
  return defineTool<AckArgs>({
    ...acknowledgeIncidentInfo,
    execute: async (args, context) => {
      const { client, incident } = await pagerDutyIncidentFor({
        tool: acknowledgeIncidentInfo.name,
        incidentId: args.incident_id,
        context,
        deps,
      });
      if (incident.status !== 'triggered')
        return {
          summary: `${args.incident_id} is already ${incident.status}; nothing to acknowledge`,
          data: { incidentId: args.incident_id, status: incident.status, changed: false },
        };
      const from = await fromOf({ client, context, deps });
      const after = await client.acknowledge({ incidentId: incident.id, from, signal: context.signal });
      return deps.redactor.redactValue({
        summary: `Acknowledged ${args.incident_id} in PagerDuty as ${from}`,
        data: { incidentId: args.incident_id, status: after.status, changed: true, from },
      });
    },
    verify: async (args, context) => {
      const { incident } = await pagerDutyIncidentFor({
        tool: acknowledgeIncidentInfo.name,
        incidentId: args.incident_id,
        context,
        deps,
      });
      return incident.status === 'triggered'
        ? { effect: 'absent', summary: `${args.incident_id} is still triggered.` }
        : {
            effect: 'present',
            result: {
              summary: `${args.incident_id} is ${incident.status}`,
              data: { incidentId: args.incident_id, status: incident.status, changed: false },
            },
          };
    },
  });
}

/** acknowledge_incident's entry in the tool catalog. */
export const acknowledgeIncidentTool = toolSpec({
  info: acknowledgeIncidentInfo,
  system: 'pagerduty',
  worlds: ['catalog'],
  build: createAcknowledgeIncidentTool,
});
