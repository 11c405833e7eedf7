import type { Planner, PlannerInput, PlannerStep } from '../../../src/agents/planner.types.ts';

/**
 * A scripted planner for alert runs: reads the incident in its environment, then proposes a ticket there
 * (a low-risk, reversible write: what human-on-the-loop would let run at once) and a restart. Two denials
 * would trip the shipped charter's denied-requests breaker, were they counted. Records its inputs.
 */
export function ticketPlanner(): Planner & { inputs: PlannerInput[] } {
  const inputs: PlannerInput[] = [];
  return {
    name: 'scripted',
    inputs,
    next: async (input): Promise<PlannerStep> => {
      inputs.push(input);
      const environment = input.environment ?? 'production';
      if (!input.observations.some((o) => o.tool === 'get_incident')) {
        return {
          kind: 'gather',
          calls: [{ tool: 'get_incident', args: { incident_id: input.incidentId }, environment }],
          tokens: 0,
        };
      }
      return {
        kind: 'final',
        summary: 'Checkout errors are up; a ticket should track them.',
        proposals: [
          {
            tool: 'create_ticket',
            args: { title: 'Checkout error ratio high', body: 'Opened from an alert.', severity: 'sev2' },
            environment,
            rationale: 'Track the alert.',
            expectedEffect: 'A ticket exists.',
            rollback: 'Close the ticket.',
          },
          {
            tool: 'restart_service',
            args: { service: 'checkout' },
            environment,
            rationale: 'Clear a crash loop.',
            expectedEffect: 'Pods restart.',
            rollback: 'None needed.',
          },
        ],
        tokens: 0,
      };
    },
  };
}
