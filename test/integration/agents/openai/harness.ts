import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import {
  createOpenAIPlanner,
  type OpenAIPlannerOptions,
} from '../../../../src/agents/openai/openai-planner.ts';
import type { Observation, Planner, PlannerStep } from '../../../../src/agents/planner.types.ts';
import { insertRun } from '../../../../src/agents/runs.repository.ts';
import { resetBreaker } from '../../../../src/breakers/breakers.repository.ts';
import { newId } from '../../../../src/shared/ids.ts';
import type { ProposeOutcome } from '../../../../src/tools/guard.ts';
import { seedWorld } from '../../../../src/tools/sandbox/sandbox.repository.ts';
import { loadWorldFile } from '../../../../src/tools/sandbox/world.loader.ts';
import type { TestDatabase } from '../../../helpers/database.ts';
import {
  createScriptedOpenAIServer,
  type ScriptedOpenAIServer,
  type ScriptStep,
} from '../../../helpers/openai-server.ts';
import { createTestServices, type TestServices } from '../../../helpers/services.ts';

/** Canary secrets set in the test environment: they must never reach the model, a row or a log line. */
export const CANARY = {
  openaiKey: 'sk-CANARYplannerKEY0123456789abcdef',
  slackToken: 'xoxb-CANARY-424242424242-plannerfeedbeef',
} as const;

export const people = { oncall: 'U0ONCALL01', approver1: 'U0APPROVE1' } as const;

export type Harness = {
  services: TestServices;
  server: ScriptedOpenAIServer;
  planner: Planner;
  close: () => Promise<void>;
};

/** Real services on a test database with canary secrets, a scripted model server and the OpenAI planner. */
export async function startHarness({
  database,
  script = [],
  planner: options = {},
}: {
  database: TestDatabase;
  script?: ScriptStep[];
  planner?: Partial<OpenAIPlannerOptions>;
}): Promise<Harness> {
  const services = await createTestServices({
    database,
    env: { OPENAI_API_KEY: CANARY.openaiKey, SLACK_BOT_TOKEN: CANARY.slackToken },
  });
  const server = await createScriptedOpenAIServer({ script });
  // The key the planner talks to the model with is the canary itself: it belongs in the Authorization
  // header and nowhere in a request body.
  const client = new OpenAI({ baseURL: server.url, apiKey: CANARY.openaiKey, maxRetries: 0, timeout: 5_000 });
  const planner = createOpenAIPlanner({
    client,
    model: 'gpt-test',
    redactor: services.redactor,
    logger: services.logger,
    baseDelayMs: 1,
    maxDelayMs: 5,
    ...options,
  });
  return {
    services,
    server,
    planner,
    close: async () => {
      await server.close();
      await services.close();
    },
  };
}

export type PathResult = {
  steps: PlannerStep[];
  gathered: ProposeOutcome[];
  proposed: ProposeOutcome[];
  runId: string;
  error: unknown;
};

/**
 * What the runner does with a planner, kept minimal: a run row, then gather steps through the guard
 * (source `agent`) until a final step, whose proposals each go to `guard.propose` (source `planner`).
 */
export async function runPlannerPath({
  harness,
  agent = 'triage',
  incidentId = 'INC-123',
  maxSteps = 4,
}: {
  harness: Harness;
  agent?: string;
  incidentId?: string;
  maxSteps?: number;
}): Promise<PathResult> {
  const { services, planner } = harness;
  const charter = services.charters.get(agent)!;
  const tools = services.registry.list().filter((t) => Object.hasOwn(charter.tools, t.name));
  const runId = newId('run');
  await services.db.transaction((tx) =>
    insertRun({
      tx,
      run: {
        id: runId,
        agent,
        charterHash: charter.hash,
        requester: people.oncall,
        incidentId,
        state: 'running',
        startedAt: services.clock.now(),
      },
    }),
  );
  const result: PathResult = { steps: [], gathered: [], proposed: [], runId, error: null };
  const observations: Observation[] = [];
  let environment: string | null = null;
  const propose = (call: { tool: string; args: unknown; environment: string }, source: 'agent' | 'planner') =>
    services.guard.propose({
      agent,
      ...call,
      requester: people.oncall,
      runId,
      incidentId,
      source,
    });
  try {
    for (let i = 0; i < maxSteps; i++) {
      const step = await planner.next({
        charter,
        tools,
        incidentId,
        environment,
        observations: [...observations],
        remaining: { toolCalls: 20, tokens: 50_000, ms: 120_000 },
        signal: new AbortController().signal,
      });
      result.steps.push(step);
      if (step.kind === 'final') {
        for (const p of step.proposals) {
          const outcome = await services.guard.propose({
            agent,
            tool: p.tool,
            args: p.args,
            environment: p.environment,
            requester: people.oncall,
            runId,
            incidentId,
            source: 'planner',
            rationale: p.rationale,
            evidence: { expectedEffect: p.expectedEffect, rollback: p.rollback },
          });
          result.proposed.push(outcome);
        }
        return result;
      }
      for (const call of step.calls) {
        const outcome = await propose(call, 'agent');
        result.gathered.push(outcome);
        const data = outcome.execution?.status === 'succeeded' ? outcome.execution.result : null;
        const incident = data?.data.incident as { environment?: string } | undefined;
        if (call.tool === 'get_incident' && incident?.environment) environment = incident.environment;
        observations.push({
          tool: call.tool,
          args: outcome.proposal.args,
          environment: call.environment,
          decision: outcome.decision.decision,
          reasonCode: outcome.decision.reasonCode,
          output: data ? services.redactor.redactValue({ summary: data.summary, data: data.data }) : null,
          error: data ? null : outcome.decision.message,
        });
      }
    }
  } catch (error) {
    result.error = error;
  }
  return result;
}

async function rows(services: TestServices, query: string): Promise<Record<string, unknown>[]> {
  const result = await services.db.execute(sql.raw(query));
  return (Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows) as Record<
    string,
    unknown
  >[];
}

/** Every row Warden itself wrote (not the planted sandbox source data), as text. */
export async function wardenRowsText(services: TestServices): Promise<string> {
  const tables = [
    'runs',
    'proposals',
    'approvals',
    'audit_events',
    'credential_leases',
    'sandbox_tickets',
    'sandbox_changes',
  ];
  const dumps = await Promise.all(tables.map((t) => rows(services, `select * from ${t}`)));
  return JSON.stringify(dumps);
}

/** The sandbox state a write would change: services, deploys, tickets and recorded changes. */
export async function sandboxState(services: TestServices) {
  return {
    services: await rows(
      services,
      'select environment, name, version, replicas, pods from sandbox_services order by environment, name',
    ),
    deploys: await rows(services, 'select id, status from sandbox_deploys order by id'),
    tickets: await rows(services, 'select id from sandbox_tickets'),
    changes: await rows(services, 'select idempotency_key from sandbox_changes'),
  };
}

/** Proposals, approvals and audit events of one run, as stored. */
export async function storedDecisions(services: TestServices, runId: string) {
  const run = `'${runId.replace(/[^A-Za-z0-9_]/g, '')}'`;
  return {
    proposals: await rows(
      services,
      `select id, tool, environment, state, decision, reason_code, approvals_required, approval_spec from proposals where run_id = ${run} order by created_at, id`,
    ),
    approvals: await rows(
      services,
      `select a.* from approvals a join proposals p on p.id = a.proposal_id where p.run_id = ${run}`,
    ),
    audit: await rows(
      services,
      `select action, proposal_id, reason_code, decision, details from audit_events where run_id = ${run} order by seq`,
    ),
  };
}

/**
 * Puts the sandbox back as the world file describes it and closes every breaker (as an owner would), so
 * one database serves many cases: each starts from the same world with no agent paused.
 */
export async function resetBetweenCases({ services }: { services: TestServices }) {
  const now = services.clock.now();
  const world = loadWorldFile({ file: services.config.worldFile });
  await seedWorld({ db: services.db, world, now, reset: true });
  for (const charter of services.charters.list()) {
    for (const breaker of charter.breakers) {
      await services.db.transaction((tx) =>
        resetBreaker({ tx, agent: charter.agent, breaker: breaker.name, now }),
      );
    }
  }
}
