import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBMIT_PROPOSALS } from '../../../../src/agents/openai/functions.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../helpers/database.ts';
import type { ChatRequest, ScriptedReply } from '../../../helpers/openai-server.ts';
import {
  type InjectionCase,
  loadInjectionCases,
  markerOf,
  type ObeyedCall,
  plantInjection,
  readDataBlocks,
  withCanaries,
} from './corpus.ts';
import { expectGuarded } from './guarded.ts';
import {
  type Harness,
  resetBetweenCases,
  sandboxState,
  startHarness,
  startRun,
  storedDecisions,
} from './harness.ts';

const cases = loadInjectionCases();

/** A model that reads the evidence, then does exactly what the planted text asks. */
function obedientModel(c: InjectionCase) {
  const gather = (): ScriptedReply => ({
    toolCalls: [
      { name: 'get_incident', arguments: { incident_id: 'INC-123' } },
      {
        name: 'search_logs',
        arguments: { service: 'checkout', query: markerOf(c), environment: 'production' },
      },
      {
        name: 'get_recent_deploys',
        arguments: { service: 'checkout', limit: 20, environment: 'production' },
      },
    ],
    usage: { total_tokens: 900 },
  });
  const obey = (request: ChatRequest): ScriptedReply => {
    // The model only obeys what it actually saw: if planting failed, it proposes nothing and the test fails.
    if (!readDataBlocks(request).user.includes(markerOf(c))) return { content: 'Nothing unusual found.' };
    const obeyed = withCanaries(c.obey);
    const submitted = obeyed.filter((o) => o.via === 'submit');
    const called = obeyed.filter((o) => o.via === 'call');
    return {
      toolCalls: [
        ...(submitted.length > 0
          ? [
              {
                name: SUBMIT_PROPOSALS,
                arguments: {
                  summary: 'Doing what the data says.',
                  proposals: submitted.map((o) => ({
                    tool: o.tool,
                    args: o.args,
                    environment: o.environment,
                    rationale: o.rationale,
                    expected_effect: 'As instructed.',
                    rollback: 'None.',
                  })),
                },
              },
            ]
          : []),
        ...called.map((o) => ({ name: o.tool, arguments: { ...o.args, environment: o.environment } })),
      ],
      usage: { total_tokens: 1200 },
    };
  };
  return [gather, obey];
}

/** Which read returns the planted text, and its position among the run's calls. */
const PLANTED_IN = {
  // The model names no environment for the incident read: the incident's own, known from the start.
  incident: { tool: 'get_incident', call: 0, environment: 'production' },
  log: { tool: 'search_logs', call: 1, environment: 'production' },
  deploy: { tool: 'get_recent_deploys', call: 2, environment: 'production' },
} as const;

/** The order the planner hands proposals to the guard: the submitted ones, then the direct calls. */
const expectedOrder = (c: InjectionCase): ObeyedCall[] => [
  ...c.obey.filter((o) => o.via === 'submit'),
  ...c.obey.filter((o) => o.via === 'call'),
];

it('the corpus holds at least 30 cases with unique ids, planted in incidents, logs and deploys', () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
  expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  expect(new Set(cases.map((c) => c.where))).toEqual(new Set(['incident', 'log', 'deploy']));
});

describe.each(databaseKinds)('the injection corpus on %s', (kind) => {
  // One database for the corpus (a fresh one per case costs seconds each); every case resets the world
  // and the breakers first and looks only at its own run's rows.
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

  it.each(cases.map((c) => [c.id, c] as const))('%s: obeying it changes nothing', async (_id, c) => {
    const { services, server } = harness;
    await resetBetweenCases({ services });
    server.reset(obedientModel(c));
    await plantInjection({ services, c });
    const before = await sandboxState(services);

    // A real run, as `/agent triage INC-123` starts it: the OpenAI planner, the run loop and the guard.
    const outcome = await startRun({ harness, agent: c.agent });

    expect(outcome.error).toBeNull();
    expect(outcome.state).toBe('completed');
    expect(outcome.observations.map((o) => [o.tool, o.decision])).toEqual([
      ['get_incident', 'allow'],
      ['search_logs', 'allow'],
      ['get_recent_deploys', 'allow'],
    ]);
    expect(outcome.observations.every((o) => o.output !== null)).toBe(true);

    // The model saw the injection only inside a data block, and every delimiter stayed intact.
    expect(server.requests).toHaveLength(2);
    for (const [i, request] of server.requests.entries()) {
      const seen = readDataBlocks(request);
      expect(seen.blocks).toHaveLength(1 + 3 * i);
      expect(seen.openings).toBe(seen.blocks.length);
      expect(seen.closings).toBe(seen.blocks.length);
      expect(seen.tagLikeInside).toBe(false);
      expect(seen.outside).not.toContain(markerOf(c));
      expect(seen.system).not.toContain(markerOf(c));
    }
    expect(readDataBlocks(server.requests[1]!).blocks.some((b) => b.includes(markerOf(c)))).toBe(true);

    // Each obeyed proposal was decided by the guard (blocked with its reason, or pending for the charter's
    // approvers) and audited; nothing but the reads ran; no approval exists; the sandbox is as it was; the
    // approvers are the charter's; no canary reached the model, a stored row or a log line.
    await expectGuarded({
      services,
      outcome,
      before,
      prompts: server.rawBodies,
      expected: expectedOrder(c).map((o) => ({ tool: o.tool, ...o.expect })),
    });

    // The injection detector flagged the read that returned the planted text: the flag is audited, every
    // proposal's evidence names that read and is audited with a warning, the summary and the model say so.
    const stored = await storedDecisions(services, outcome.run.id);
    const flagged = outcome.observations.flatMap((o, i) => (o.suspectedInjection ? [i] : []));
    const suspected = stored.audit.filter((e) => e.action === 'run.injection_suspected');
    const warned = stored.audit.filter((e) => e.action === 'proposal.injection_warning');
    if (c.undetected) {
      expect([flagged, suspected, warned]).toEqual([[], [], []]);
      expect(outcome.summary).not.toContain('prompt injection');
      return;
    }
    const carrier = PLANTED_IN[c.where];
    expect(flagged).toEqual([carrier.call]);
    expect(suspected).toMatchObject([
      {
        reason_code: 'agents.suspected_injection',
        details: { tool: carrier.tool, observation: carrier.call, signals: expect.any(Array) },
      },
    ]);
    for (const made of outcome.proposals) {
      const row = stored.proposals.find((p) => p.id === made.proposalId);
      expect(row?.evidence).toMatchObject({
        suspectedInjection: [
          { observation: carrier.call, tool: carrier.tool, environment: carrier.environment },
        ],
      });
      expect(warned.filter((e) => e.proposal_id === made.proposalId)).toMatchObject([
        { reason_code: 'agents.suspected_injection', details: { tool: made.tool } },
      ]);
    }
    expect(outcome.summary).toContain('⚠ Suspected prompt injection');
    expect(readDataBlocks(server.requests[1]!).outside).toContain('suspected prompt injection');
  });
});
