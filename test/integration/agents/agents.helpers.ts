import { readFileSync } from 'node:fs';
import { asc, eq } from 'drizzle-orm';
import { afterEach, expect } from 'vitest';
import type { Planner, PlannerInput, PlannerStep } from '../../../src/agents/planner.types.ts';
import type { RunnerDeps, RunOutcome } from '../../../src/agents/run/run.types.ts';
import { auditEvents, proposals, runs } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import type { Db } from '../../../src/db/client.ts';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import type { Charter } from '../../../src/policy/charter.schemas.ts';
import type { DatabaseKind } from '../../helpers/database.ts';
import { charterFromYaml, repoRoot, type TestServices, useTestServices } from '../../helpers/services.ts';

export const people = {
  oncall: 'U0ONCALL01',
  approver1: 'U0APPROVE1',
  approver2: 'U0APPROVE2',
  owner: 'U0OWNER001',
  outsider: 'U0OUTSIDE1',
} as const;

/** The shipped triage charter's YAML text, for variants made by replacing one line. */
export function triageYaml(): string {
  return readFileSync(`${repoRoot}/charters/triage.yaml`, 'utf8');
}

/** The shipped triage charter with one piece of text replaced (the replacement must happen). */
export function triageVariant({
  replace,
  by,
  agent,
}: {
  replace: string;
  by: string;
  agent?: string;
}): Charter {
  const text = triageYaml();
  if (!text.includes(replace)) throw new Error(`triage.yaml has no "${replace}"`);
  let changed = text.replace(replace, by);
  if (agent) changed = changed.replace('agent: triage', `agent: ${agent}`);
  return charterFromYaml(changed, `${agent ?? 'triage'}.yaml`);
}

/** The shipped charters. */
export function shippedCharters(): Charter[] {
  return loadCharters({ dir: `${repoRoot}/charters` }).charters;
}

/**
 * For a `describe` of runner tests: services on an empty database of `kind` for each test (with the given
 * charters, the shipped ones by default; see useTestServices); after each, the audit chain must verify.
 * `start` runs triage (or `agent`) on INC-123 as the on-call engineer with `planner`.
 */
export function useRunnerServices({
  kind,
  charters = shippedCharters,
}: {
  kind: DatabaseKind;
  charters?: () => Charter[];
}) {
  const { services } = useTestServices({ kind, options: () => ({ charters: charters() }) });
  afterEach(async () => {
    expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });
  });
  return {
    services,
    start: (planner: Planner, agent = 'triage') =>
      runnerFor(services, planner).start({ agent, requester: people.oncall, incidentId: 'INC-123' }),
    runRow: async (id: string) => (await services.db.select().from(runs).where(eq(runs.id, id)))[0]!,
  };
}

/**
 * A runner on the test services as the composition root wires it, with the given planner; `overrides`
 * replace some of its dependencies: another instance's id and in-flight registry, a guard that does
 * something around each proposal.
 */
export function runnerFor(services: TestServices, planner: Planner, overrides: Partial<RunnerDeps> = {}) {
  return services.runnerWith({ planner, ...overrides });
}

/**
 * A planner that plays a script, one function per step (the last one repeats), recording every input it
 * was given: the test double for a model, like openai-agents-js's ScriptedModel.
 */
export function scriptedPlanner(
  steps: ((input: PlannerInput) => PlannerStep | Promise<PlannerStep> | unknown)[],
) {
  const inputs: PlannerInput[] = [];
  const planner: Planner = {
    name: 'scripted',
    next: async (input) => {
      inputs.push(input);
      const step = steps[Math.min(inputs.length, steps.length) - 1];
      if (!step) throw new Error('the script is empty');
      return (await step(input)) as PlannerStep;
    },
  };
  return { planner, inputs };
}

/** The audit actions of one run, in the order they were written (linked or not yet). */
export async function runAuditActions(db: Db, runId: string): Promise<string[]> {
  const rows = await db
    .select({ action: auditEvents.action })
    .from(auditEvents)
    .where(eq(auditEvents.runId, runId))
    .orderBy(asc(auditEvents.id));
  return rows.map((r) => r.action);
}

/** The audit events of one run, in the order they were written (linked or not yet). */
export async function runAuditEvents(db: Db, runId: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.runId, runId)).orderBy(asc(auditEvents.id));
}

/** The proposal rows of one run, oldest first. */
export async function runProposals(db: Db, runId: string) {
  return db.select().from(proposals).where(eq(proposals.runId, runId)).orderBy(asc(proposals.createdAt));
}

/** A scripted step: read INC-123 in production (120 tokens). */
export const readIncident: PlannerStep = {
  kind: 'gather',
  calls: [{ tool: 'get_incident', args: { incident_id: 'INC-123' }, environment: 'production' }],
  tokens: 120,
};
/** A scripted step: read checkout's health in production (80 tokens). */
export const readHealth: PlannerStep = {
  kind: 'gather',
  calls: [{ tool: 'get_service_health', args: { service: 'checkout' }, environment: 'production' }],
  tokens: 80,
};
/** A well-formed create_ticket proposal for staging. */
export const ticket = (n: number) => ({
  tool: 'create_ticket',
  args: { title: `Search crash loop ${n}`, body: 'Pods crash-loop after a node drain.', severity: 'sev3' },
  environment: 'staging',
  rationale: 'Record the incident.',
  expectedEffect: 'A ticket exists.',
  rollback: 'Close the ticket.',
});

/** A planner that reads INC-123, then waits for a model answer until its AbortSignal fires. */
export function hangingPlanner() {
  const waiting: { signal: AbortSignal | null } = { signal: null };
  const { planner } = scriptedPlanner([
    () => readIncident,
    ({ signal }) =>
      new Promise((_, reject) => {
        waiting.signal = signal;
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  ]);
  return { planner, waiting };
}

/** Engages `kill` once the planner is waiting on the model; returns the outcome and how long it took. */
export async function killWhileWaiting({
  waiting,
  done,
  kill,
}: {
  waiting: { signal: AbortSignal | null };
  done: Promise<RunOutcome>;
  kill: () => Promise<unknown>;
}) {
  for (let i = 0; i < 500 && !waiting.signal; i++) await new Promise((r) => setTimeout(r, 10));
  if (!waiting.signal || waiting.signal.aborted) throw new Error('the planner never started waiting');
  const killedAt = performance.now();
  await kill();
  // Without the kill reaching the run, the planner would wait for the model (or the wall time).
  const outcome = await Promise.race([done, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
  return { outcome, ms: performance.now() - killedAt };
}

/** The environment a run worker test gives Warden (and its worker): Postgres, the shipped charters, a scripted model. */
export function runWorkerEnv({
  databaseUrl,
  modelUrl,
  extra = {},
}: {
  databaseUrl: string;
  modelUrl: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    CHARTERS_DIR: `${repoRoot}/charters`,
    WARDEN_WORLD_FILE: `${repoRoot}/worlds/sandbox.yaml`,
    OPENAI_API_KEY: 'sk-test-run-worker-0000000000000000',
    OPENAI_BASE_URL: modelUrl,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}
