import { describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import type { Observation, PlannerInput } from '../../../src/agents/planner.types.ts';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import { toolSpecsFor } from '../../../src/tools/tool-catalog.ts';
import type { ToolWorld } from '../../../src/tools/tool-spec.ts';
import { repoRoot } from '../../helpers/services.ts';

const triage = loadCharters({ dir: `${repoRoot}/examples/charters` }).charters[0]!;

/** A run that read its incident and found nothing to remediate: only the ticket is proposed. */
function input(world: ToolWorld): PlannerInput {
  const incident: Observation = {
    tool: 'get_incident',
    args: { incident_id: 'ALERT-7' },
    environment: 'production',
    decision: 'allow',
    reasonCode: 'allowed',
    output: {
      summary: 'read',
      data: {
        incident: {
          id: 'ALERT-7',
          title: 'HighErrorRate on checkout',
          description: 'Errors are up.',
          severity: 'sev2',
          status: 'open',
          service: 'checkout',
          environment: 'production',
          openedAt: '2026-11-24T08:38:00.000Z',
        },
      },
    },
    error: null,
  };
  return {
    charter: triage,
    tools: toolSpecsFor({ world }).map((s) => s.info),
    incidentId: 'ALERT-7',
    environment: 'production',
    observations: [incident, { ...incident, tool: 'get_service_health', output: { summary: 'x', data: {} } }],
    remaining: { toolCalls: 30, tokens: 60000, ms: 300000 },
    signal: new AbortController().signal,
  };
}

describe("the offline planner's ticket", () => {
  it.each([
    ['catalog', { service: 'checkout' }],
    ['sandbox', {}],
  ] as const)('fits the %s world create_ticket (the Jira one names the service)', async (world, extra) => {
    const step = await createOfflinePlanner().next(input(world));
    expect(step.kind).toBe('final');
    const ticket = step.kind === 'final' ? step.proposals.find((p) => p.tool === 'create_ticket') : undefined;
    expect(ticket).toBeDefined();
    const schema = toolSpecsFor({ world }).find((s) => s.info.name === 'create_ticket')!.info.input;
    expect(schema.safeParse(ticket?.args).success).toBe(true);
    expect(ticket?.args).toMatchObject(extra);
    if (world === 'sandbox') expect(ticket?.args).not.toHaveProperty('service');
  });
});
