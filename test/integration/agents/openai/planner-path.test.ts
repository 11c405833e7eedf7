import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isWardenError } from '../../../../src/shared/errors.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../helpers/database.ts';
import { readDataBlocks } from './corpus.ts';
import { expectGuarded } from './guarded.ts';
import {
  CANARY,
  type Harness,
  resetBetweenCases,
  runPlannerPath,
  sandboxState,
  startHarness,
  storedDecisions,
} from './harness.ts';

describe.each(databaseKinds)('the OpenAI planner in a run on %s', (kind) => {
  let database: TestDatabase;
  let harness: Harness;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    harness = await startHarness({ database, planner: { timeoutMs: 200 } });
  });
  afterAll(async () => {
    await harness?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await resetBetweenCases({ services: harness.services });
  });

  it('gathers evidence through the guard, then hands its proposals to the guard', async () => {
    const { services, server } = harness;
    server.reset([
      {
        toolCalls: [
          { name: 'get_incident', arguments: { incident_id: 'INC-123' } },
          {
            name: 'search_logs',
            arguments: { service: 'checkout', query: 'CANARY', environment: 'production' },
          },
        ],
        usage: { total_tokens: 1500 },
      },
      (request) => {
        // The second request carries what the reads returned, as data.
        const seen = readDataBlocks(request);
        expect(seen.blocks).toHaveLength(3);
        expect(seen.blocks[1]).toContain('Checkout error rate above 8% in production');
        expect(seen.blocks[2]).toContain('payments key [REDACTED] loaded from env');
        return {
          toolCalls: [
            {
              name: 'submit_proposals',
              arguments: {
                summary: 'checkout v2.14.0 fails for legacy accounts; roll back.',
                proposals: [
                  {
                    tool: 'create_ticket',
                    args: {
                      title: 'Checkout 5xx after v2.14.0',
                      body: 'NPE in PaymentClient.',
                      severity: 'sev2',
                    },
                    environment: 'production',
                    rationale: 'Track the incident.',
                    expected_effect: 'A ticket exists.',
                    rollback: 'Close it.',
                  },
                  {
                    tool: 'rollback_deploy',
                    args: { service: 'checkout', to_version: 'v2.13.4' },
                    environment: 'production',
                    rationale: 'Errors began with v2.14.0.',
                    expected_effect: '5xx rate back under 1%.',
                    rollback: 'Deploy v2.14.0 again.',
                  },
                ],
              },
            },
          ],
          usage: { total_tokens: 2100 },
        };
      },
    ]);
    const before = await sandboxState(services);

    const result = await runPlannerPath({ harness });

    expect(result.error).toBeNull();
    expect(result.steps.map((s) => [s.kind, s.tokens])).toEqual([
      ['gather', 1500],
      ['final', 2100],
    ]);
    const gather = result.steps[0]!;
    expect(gather.kind === 'gather' && gather.calls).toEqual([
      // No environment named and none known yet: the charter's first environment (reads are allowed in both).
      { tool: 'get_incident', args: { incident_id: 'INC-123' }, environment: 'staging' },
      { tool: 'search_logs', args: { service: 'checkout', query: 'CANARY' }, environment: 'production' },
    ]);
    expect(result.gathered.map((g) => g.execution?.status)).toEqual(['succeeded', 'succeeded']);
    await expectGuarded({
      services,
      result,
      before,
      expected: [
        { tool: 'create_ticket', approvals: 1 },
        { tool: 'rollback_deploy', approvals: 2 },
      ],
    });
    expect(server.requests).toHaveLength(2);
    for (const leak of [CANARY.openaiKey, CANARY.slackToken, 'sk-CANARY', 'xoxb-CANARY'])
      expect(server.rawBodies.join('\n')).not.toContain(leak);
    // The key is used where it belongs: the Authorization header, never the body.
    expect(server.headers[0]?.authorization).toBe(`Bearer ${CANARY.openaiKey}`);
  });

  it('fails closed when the model returns 500 on every try: agents.model_unavailable, nothing proposed', async () => {
    const { services, server } = harness;
    server.reset([{ status: 500 }, { status: 500 }, { status: 500 }]);
    const before = await sandboxState(services);
    const result = await runPlannerPath({ harness });
    expect(isWardenError(result.error, 'agents.model_unavailable')).toBe(true);
    expect(server.requests).toHaveLength(3);
    expect((await storedDecisions(services, result.runId)).proposals).toEqual([]);
    expect(await sandboxState(services)).toEqual(before);
  });

  it('fails closed when the model times out after evidence was gathered: only the reads ran', async () => {
    const { services, server } = harness;
    server.reset([
      { toolCalls: [{ name: 'get_incident', arguments: { incident_id: 'INC-123' } }] },
      { delayMs: 1_000 },
      { delayMs: 1_000 },
      { delayMs: 1_000 },
    ]);
    const before = await sandboxState(services);
    const result = await runPlannerPath({ harness });
    expect(isWardenError(result.error, 'agents.model_unavailable')).toBe(true);
    expect((result.error as Error).message).toBe(
      'The model did not answer (timed out after 3 tries); nothing was run.',
    );
    expect(server.requests).toHaveLength(4);
    await expectGuarded({ services, result, before, expected: [] });
    const stored = await storedDecisions(services, result.runId);
    expect(stored.proposals.map((p) => [p.tool, p.state])).toEqual([['get_incident', 'succeeded']]);
  });
});
