import type { ConnectionSpec, ServiceSpec } from '../../../src/catalog/catalog.schemas.ts';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import { createManualClock, type ManualClock } from '../../../src/shared/clock.ts';
import { newId } from '../../../src/shared/ids.ts';
import { createRedactor, type Redactor } from '../../../src/shared/redact.ts';
import { resolveConnections } from '../../../src/systems/connections.ts';
import { createSystems } from '../../../src/systems/systems.ts';
import type { Fetch } from '../../../src/systems/systems.types.ts';
import { createCredentialBroker } from '../../../src/tools/broker.ts';
import type { ToolResult, VerifiedEffect } from '../../../src/tools/define.ts';
import { createToolRegistry } from '../../../src/tools/registry.ts';
import { buildTools } from '../../../src/tools/tool-catalog.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';

export type CatalogCallOptions = {
  environment?: string;
  /** The proposal (and idempotency key) of the call; a new one by default. */
  proposalId?: string;
  signal?: AbortSignal;
  /** Mint the credential for this tool instead (to test scope checks). */
  credentialFor?: string;
};

/**
 * The catalog world's tool side over real or emulated systems: a PGlite database for the broker's leases,
 * the catalog and connections given, secrets read from `env` (canaries in tests), and `call` that runs a
 * tool as the guard would (mint a lease, execute, release). Close with `close()`.
 */
export async function createCatalogHarness({
  services,
  connections,
  env = {},
  clock = createManualClock(new Date()),
  redactor = createRedactor(),
  fetch,
}: {
  services: ServiceSpec[];
  connections: Record<string, ConnectionSpec>;
  env?: Record<string, string>;
  clock?: ManualClock;
  redactor?: Redactor;
  fetch?: Fetch;
}) {
  const database: TestDatabase = await createTestDatabase('pglite');
  const catalog = createCatalog({ services, connections });
  const resolved = resolveConnections({ catalog, env, redactor });
  const systems = createSystems({ connections: resolved.connections, redactor, clock, fetch });
  const broker = createCredentialBroker({ db: database.db, clock, redactor, ttlMs: 15 * 60_000 });
  const tools = buildTools({
    world: 'catalog',
    deps: { db: database.db, broker, clock, redactor, writeDelayMs: 0, catalog, systems },
  });
  const { registry, executors } = createToolRegistry({ tools });

  /** Calls a tool as the guard would: mint a scoped credential, run the executor, release the lease. */
  async function call(
    tool: string,
    args: Record<string, unknown>,
    options: CatalogCallOptions = {},
  ): Promise<ToolResult> {
    const environment = options.environment ?? 'production';
    const proposalId = options.proposalId ?? newId('prp');
    const executor = executors.get(tool);
    if (!executor) throw new Error(`no catalog-world tool ${tool}`);
    const lease = await broker.mint({
      tool: options.credentialFor ?? tool,
      environment,
      agent: 'triage',
      runId: 'run_test',
      proposalId,
    });
    try {
      return await executor.execute(args, {
        environment,
        agent: 'triage',
        runId: 'run_test',
        proposalId,
        incidentId: 'INC-123',
        idempotencyKey: proposalId,
        credential: lease.token,
        signal: options.signal ?? new AbortController().signal,
      });
    } finally {
      await broker.release({ leaseId: lease.leaseId });
    }
  }

  /** Asks a write tool whether the call of this proposal took effect, as the guard does after a timeout. */
  async function verify(
    tool: string,
    args: Record<string, unknown>,
    options: CatalogCallOptions & { proposalId: string },
  ): Promise<VerifiedEffect> {
    const environment = options.environment ?? 'production';
    const check = executors.get(tool)?.verify;
    if (!check) throw new Error(`${tool} cannot verify`);
    const lease = await broker.mint({
      tool,
      environment,
      agent: 'triage',
      runId: 'run_test',
      proposalId: options.proposalId,
    });
    try {
      return await check(args, {
        environment,
        agent: 'triage',
        runId: 'run_test',
        proposalId: options.proposalId,
        incidentId: 'INC-123',
        idempotencyKey: options.proposalId,
        credential: lease.token,
        signal: options.signal ?? new AbortController().signal,
      });
    } finally {
      await broker.release({ leaseId: lease.leaseId });
    }
  }

  return {
    verify,
    database,
    clock,
    redactor,
    catalog,
    problems: resolved.problems,
    systems,
    broker,
    registry,
    call,
    close: () => database.drop(),
  };
}
export type CatalogHarness = Awaited<ReturnType<typeof createCatalogHarness>>;
