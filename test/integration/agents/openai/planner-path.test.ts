import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../helpers/database.ts';
import { readDataBlocks } from './corpus.ts';
import { expectGuarded } from './guarded.ts';
import {
  CANARY,
  type Harness,
  resetBetweenCases,
  sandboxState,
  startHarness,
  startRun,
  storedDecisions,
} from './harness.ts';

describe.each(databaseKinds)('the OpenAI planner in a real run on %s', (kind) => {
  let database: TestDatabase;
  let harness: Harness;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    harness = await startHarness({ database });
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

    const outcome = await startRun({ harness });

    expect([outcome.state, outcome.error]).toEqual(['completed', null]);
    // Both steps' tokens were counted against the run.
    expect(outcome.run.tokensUsed).toBe(3600);
    expect(outcome.observations.map((o) => [o.tool, o.args, o.environment, o.decision])).toEqual([
      // No environment named: the incident's own, which the run knows from the start (INC-123 is production).
      ['get_incident', { incident_id: 'INC-123' }, 'production', 'allow'],
      // The guard stores the arguments as the tool's schema parsed them (with its defaults).
      ['search_logs', { service: 'checkout', query: 'CANARY', limit: 20 }, 'production', 'allow'],
    ]);
    await expectGuarded({
      services,
      outcome,
      before,
      prompts: server.rawBodies,
      expected: [
        { tool: 'create_ticket', approvals: 1 },
        { tool: 'rollback_deploy', approvals: 2 },
      ],
    });
    expect(outcome.summary).toContain('checkout v2.14.0 fails for legacy accounts; roll back.');
    expect(server.requests).toHaveLength(2);
    for (const leak of [CANARY.openaiKey, CANARY.slackToken, 'sk-CANARY', 'xoxb-CANARY'])
      expect(server.rawBodies.join('\n')).not.toContain(leak);
    // The key is used where it belongs: the Authorization header, never the body.
    expect(server.headers[0]?.authorization).toBe(`Bearer ${CANARY.openaiKey}`);
    // The run records the model asked for and, on each step, the one the provider says answered.
    const { audit } = await storedDecisions(services, outcome.run.id);
    const started = audit.find((e) => e.action === 'run.started')!;
    expect((started.details as { versions?: unknown }).versions).toMatchObject({
      planner: 'openai',
      model: 'gpt-test',
      prompt: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const steps = audit.filter((e) => e.action === 'run.step');
    expect(steps.map((e) => (e.details as { model?: string }).model)).toEqual(['gpt-test', 'gpt-test']);
  });

  it('fails closed when the model returns 500 on every try: agents.model_unavailable, nothing proposed', async () => {
    const { services, server } = harness;
    server.reset([{ status: 500 }, { status: 500 }, { status: 500 }]);
    const before = await sandboxState(services);
    const outcome = await startRun({ harness });
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toBe(
      'The openai planner failed: The model did not answer (server error (HTTP 500) after 3 tries); nothing was run.',
    );
    expect(outcome.run.summary).toContain(outcome.error!);
    expect(server.requests).toHaveLength(3);
    expect((await storedDecisions(services, outcome.run.id)).proposals).toEqual([]);
    expect(await sandboxState(services)).toEqual(before);
  });
});
