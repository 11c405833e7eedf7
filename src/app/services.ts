import type { Planner } from '../agents/planner.types.ts';
import type { IncidentDirectory, RunnerDeps } from '../agents/run/run.types.ts';
import { createRunner } from '../agents/run/runner.ts';
import { createApprovals } from '../approvals/approvals.usecases.ts';
import { createBreakerReset } from '../breakers/breaker-reset.ts';
import { createInFlightRegistry } from '../breakers/in-flight.ts';
import { createKillSwitch } from '../breakers/kill-switch.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/client.ts';
import { createPromotionGate } from '../evals/promotion.gate.ts';
import { alertIncidentDirectory } from '../incidents/alert-incidents.directory.ts';
import { pagerDutyIncidentDirectory } from '../incidents/pagerduty-incidents.directory.ts';
import { importMcpProviders } from '../mcp/providers/mcp-providers.lazy.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { charterSet } from '../policy/charter-set.ts';
import { type Clock, systemClock } from '../shared/clock.ts';
import { createAppLogger, type Logger } from '../shared/logger.ts';
import { createRedactor, type Redactor } from '../shared/redact.ts';
import type { Fetch } from '../systems/systems.types.ts';
import { createCredentialBroker } from '../tools/broker.ts';
import type { ToolDefinition } from '../tools/define.ts';
import { createGuard } from '../tools/guard.ts';
import type { GuardDeps } from '../tools/guard.types.ts';
import { createToolRegistry } from '../tools/registry.ts';
import { findIncident, seedWorld } from '../tools/sandbox/sandbox.repository.ts';
import { loadWorldFile } from '../tools/sandbox/world.loader.ts';
import { buildTools } from '../tools/tool-catalog.ts';
import { startAuditStream } from './audit-stream.ts';
import { loadAppCharters } from './charters.ts';
import { openConfiguredDatabase } from './open-database.ts';
import { plannerFor } from './planner.ts';
import { setUpRealSystems } from './real-systems.ts';
import { recoverAtStartup, recoverInstance, startRecoverySweeps } from './recovery.ts';

export type ServicesOptions = {
  config: Config;
  /** An open database (tests pass their own); otherwise one is opened from the config. */
  database?: Database;
  clock?: Clock;
  logger?: Logger;
  redactor?: Redactor;
  charters?: Charter[];
  /** Seed the sandbox world from `config.worldFile` when its tables are empty (default true). */
  seedSandbox?: boolean;
  executionTimeoutMs?: number;
  /** How often this instance sweeps for executions and runs another instance left behind (default 30 s). */
  recoverySweepMs?: number;
  sandboxWriteDelayMs?: number;
  /** The service catalog (tests pass their own); otherwise loaded from `config.catalogDir`. */
  catalog?: Catalog;
  /** The `fetch` of the Prometheus and Alertmanager clients (tests may pass a recording one). */
  fetch?: Fetch;
  /** The planner for agent runs; by default OpenAI when OPENAI_API_KEY is set, else the offline rules. */
  planner?: Planner;
};

/**
 * The tools' registry, the guard over them and the approvals on its proposals, wired as `buildServices`
 * wires them; tests wire a variant (a tool that logs, a broker that tampers) from here, not by hand.
 */
export function wireGuard({
  tools,
  ...deps
}: Omit<GuardDeps, 'registry' | 'executors'> & { tools: ToolDefinition[] }) {
  const { registry, executors } = createToolRegistry({ tools });
  const guard = createGuard({ ...deps, registry, executors });
  const { db, clock, audit, charters, redactor } = deps;
  const approvals = createApprovals({
    db,
    clock,
    audit,
    charters,
    registry,
    redactor,
    executor: guard.executor,
    propose: guard.propose,
  });
  return { registry, guard, approvals };
}

/**
 * The composition root: the one place that creates clients and wires the layers with plain arguments.
 * Fails with a coded error (never a half-built app) when the database or the charters are unusable.
 */
export async function buildServices(options: ServicesOptions) {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const redactor = options.redactor ?? createRedactor({ secrets: config.secrets });
  const logger = options.logger ?? createAppLogger({ config, redactor });
  const charters = charterSet(options.charters ?? loadAppCharters({ dir: config.chartersDir }));
  const database = options.database ?? (await openConfiguredDatabase(config));
  const { db } = database;
  if (!options.database) await database.migrate();

  const stream = startAuditStream({ db, clock, logger, redactor });
  const { audit, chainer, observability } = stream;
  const real = setUpRealSystems({
    catalogDir: config.catalogDir,
    catalog: options.catalog,
    env: config.secretEnv,
    charters: charters.list(),
    redactor,
    clock,
    fetch: options.fetch,
  });
  for (const { agent, tool } of real.unavailableTools)
    logger.warn(
      { agent, tool, world: real.world },
      `charter ${agent} names ${tool}, which this deployment does not have; it will be denied`,
    );
  const broker = createCredentialBroker({ db, clock, redactor });
  const tools = buildTools({
    world: real.world,
    deps: {
      db,
      broker,
      clock,
      redactor,
      writeDelayMs: options.sandboxWriteDelayMs ?? 0,
      catalog: real.catalog,
      systems: real.systems,
    },
  });
  // Tools imported from MCP servers (the catalog's `mcp` connections); the SDK is loaded only when used.
  const mcp = await importMcpProviders({
    real,
    charters: charters.list(),
    config,
    redactor,
    logger,
    broker,
  }).catch(async (error: unknown) => {
    await stream.stop();
    throw error;
  });
  tools.push(...mcp.tools);
  const inFlight = createInFlightRegistry();
  const { registry, guard, approvals } = wireGuard({
    db,
    pipelined: database.pipelined,
    clock,
    audit,
    broker,
    tools,
    charters,
    inFlight,
    redactor,
    logger,
    instanceId: config.instanceId,
    executionTimeoutMs: options.executionTimeoutMs ?? 120_000,
  });
  observability.startAlerts({ audit, charters, registry });
  // The demo world's incidents and services would be mistaken for real ones next to a real catalog.
  if ((options.seedSandbox ?? true) && real.world === 'sandbox') {
    const world = loadWorldFile({ file: config.worldFile });
    await seedWorld({ db, world, now: clock.now() }).catch(async (error: unknown) => {
      await stream.stop();
      throw error;
    });
  }
  const killSwitch = createKillSwitch({
    db,
    clock,
    audit,
    broker,
    systems: real.systems,
    inFlight,
    charters,
    logger,
    redactor,
  });
  const breakerReset = createBreakerReset({ db, audit, charters, clock });
  const planner = options.planner ?? (await plannerFor({ config, redactor, logger }));
  // Alert incidents (ALERT-<n>) first; then PagerDuty's (by the connection's prefix); then the sandbox world's.
  const alertIncidents = alertIncidentDirectory({ db });
  const pagerdutyIncidents = pagerDutyIncidentDirectory({
    clientFor: (prefix) => real.systems.pagerdutyByPrefix(prefix),
    services: () => real.catalog.services(),
  });
  const incidents: IncidentDirectory = {
    environmentOf: async (input) =>
      (await alertIncidents.environmentOf(input)) ??
      (await pagerdutyIncidents.environmentOf(input)) ??
      (await findIncident({ db, id: input.incidentId }))?.environment ??
      null,
  };
  const runnerDeps: RunnerDeps = {
    db,
    clock,
    audit,
    charters,
    registry,
    guard,
    logger,
    redactor,
    inFlight,
    incidents,
    instanceId: config.instanceId,
    maxRuns: config.maxRuns,
    promotion: createPromotionGate({ db }),
  };
  /** A runner with this wiring and `planner`; tests also run one as another instance would. */
  const runnerWith = (overrides: Partial<RunnerDeps> & { planner: Planner }) =>
    createRunner({ ...runnerDeps, ...overrides });
  const runner = runnerWith({ planner });
  const deps = {
    db,
    clock,
    audit,
    logger,
    charters,
    redactor,
    inFlight,
    instanceId: config.instanceId,
    executionTimeoutMs: options.executionTimeoutMs ?? 120_000,
  };
  const verifyRecovered = guard.executor.verifyRecovered;
  const recovery = await recoverAtStartup({ deps, database, inFlight, verifyRecovered }).catch(
    async (error: unknown) => {
      await stream.stop();
      throw error;
    },
  );
  const { executions: recovered, runs: recoveredRuns, unwatch } = recovery;
  // Runs are capped either way; this only announces charter modes the evidence refuses (audit + alert).
  await runner
    .checkCharters()
    .catch((error: unknown) => logger.warn({ err: error }, 'charter modes unchecked'));
  const sweeps = startRecoverySweeps({
    deps,
    intervalMs: options.recoverySweepMs ?? 30_000,
    verifyRecovered,
  });

  return {
    config,
    database,
    db,
    clock,
    world: real.world,
    catalog: real.catalog,
    systems: real.systems,
    logger,
    redactor,
    charters,
    audit,
    chainer,
    broker,
    registry,
    guard,
    approvals,
    killSwitch,
    breakerReset,
    runner,
    runnerWith,
    planner,
    inFlight,
    incidents,
    recovered,
    recoveredRuns,
    observability,
    metrics: observability.metrics,
    settleAudit: stream.settle,
    /** Settles the executions and runs of another instance of this process that went away (the run worker). */
    recoverInstance: (instanceId: string) => recoverInstance({ deps, instanceId, verifyRecovered }),
    close: async () => {
      await sweeps.stop();
      await mcp.close();
      await unwatch().catch(() => {});
      await stream.stop();
      if (!options.database) await database.close();
    },
  };
}

export type Services = Awaited<ReturnType<typeof buildServices>>;
