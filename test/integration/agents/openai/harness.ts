import { sql } from 'drizzle-orm';
import type { RunOutcome } from '../../../../src/agents/run/run.types.ts';
import { resetBreaker } from '../../../../src/breakers/breakers.repository.ts';
import type { Charter } from '../../../../src/policy/charter.schemas.ts';
import { seedWorld } from '../../../../src/tools/sandbox/sandbox.repository.ts';
import { loadWorldFile } from '../../../../src/tools/sandbox/world.loader.ts';
import type { TestDatabase } from '../../../helpers/database.ts';
import {
  createScriptedOpenAIServer,
  type ScriptedOpenAIServer,
  type ScriptStep,
} from '../../../helpers/openai-server.ts';
import { createTestServices, type TestServices } from '../../../helpers/services.ts';

/**
 * Canary secrets: they must never reach the model, a row or a log line. The first two are Warden's own
 * (set in the test environment, so the redactor knows their values); the others belong to the systems
 * Warden reads (a database, Stripe, Google, GitHub) and are never told to it: only the redactor's
 * patterns can catch them when they turn up in tool output.
 */
export const CANARY = {
  openaiKey: 'sk-CANARYplannerKEY0123456789abcdef',
  slackToken: 'xoxb-CANARY-424242424242-plannerfeedbeef',
  dbPassword: 'CANARYdbPw7xQ2mL9vR4kT',
  pgPassword: 'CANARYpgPw3kT8nV1zQ6',
  // {"alg":"HS256","typ":"JWT"}.{"sub":"CANARY-jwt","role":"admin"}.signature
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJDQU5BUlktand0Iiwicm9sZSI6ImFkbWluIn0.CANARYjwtSig0c9d8e7f6a5b4c3d2e1',
  stripeKey: 'sk_live_CANARY51Hx9qL2mN8vR4tY7wZ0',
  googleKey: 'AIzaSyCANARY0gOoGlE1kEy2xYz3wVu4tSr5q7w',
  githubToken: 'ghs_CANARYgh5Tk9Lm2Np4Qr6St8Uv0Wx1Yz3Ab7',
} as const;

/** Every form of the canaries a leak could take: whole, and a part that gives each away. */
export const LEAKS = [
  ...Object.values(CANARY),
  'sk-CANARY',
  'xoxb-CANARY',
  'CANARYdbPw',
  'CANARYpgPw',
  'eyJzdWIiOiJDQU5BUlkt',
  'CANARYjwtSig',
  'sk_live_CANARY',
  'AIzaSyCANARY',
  'ghs_CANARY',
] as const;

export const people = { oncall: 'U0ONCALL01', approver1: 'U0APPROVE1' } as const;

export type Harness = {
  services: TestServices;
  server: ScriptedOpenAIServer;
  close: () => Promise<void>;
};

/**
 * Warden's real services on a test database, configured as a deployment would be: `OPENAI_API_KEY` (a
 * canary), `OPENAI_BASE_URL` pointing at a scripted OpenAI-compatible server, and a canary Slack token. The
 * composition root builds the OpenAI planner with the real `openai` client from that configuration.
 */
export async function startHarness({
  database,
  script = [],
  env = {},
  charters,
}: {
  database: TestDatabase;
  script?: ScriptStep[];
  /** More environment, e.g. OPENAI_TIMEOUT_MS. */
  env?: Record<string, string>;
  charters?: Charter[];
}): Promise<Harness> {
  const server = await createScriptedOpenAIServer({ script });
  const services = await createTestServices({
    database,
    ...(charters ? { charters } : {}),
    env: {
      OPENAI_API_KEY: CANARY.openaiKey,
      OPENAI_BASE_URL: server.url,
      OPENAI_MODEL: 'gpt-test',
      SLACK_BOT_TOKEN: CANARY.slackToken,
      ...env,
    },
  });
  if (services.planner.name !== 'openai') throw new Error('the harness must run the OpenAI planner');
  return {
    services,
    server,
    close: async () => {
      await server.close();
      await services.close();
    },
  };
}

/**
 * Starts a real run through the product's runner, as `/agent triage INC-123` does, and waits for its end.
 * The OpenAI planner, the run loop and the guard decide everything; the test only reads what they left.
 */
export async function startRun({
  harness,
  agent = 'triage',
  incidentId = 'INC-123',
}: {
  harness: Harness;
  agent?: string;
  incidentId?: string;
}): Promise<RunOutcome> {
  const { done } = await harness.services.runner.start({ agent, requester: people.oncall, incidentId });
  return done;
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
  await services.settleAudit();
  const run = `'${runId.replace(/[^A-Za-z0-9_]/g, '')}'`;
  return {
    proposals: await rows(
      services,
      `select id, source, tool, args, environment, state, state_reason, decision, reason_code, rule, approvals_required, approval_spec, charter_hash, rationale, evidence, tainted from proposals where run_id = ${run} order by created_at, id`,
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
