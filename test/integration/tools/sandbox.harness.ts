import { fileURLToPath } from 'node:url';
import type { Database } from '../../../src/db/client.ts';
import { createManualClock, type ManualClock } from '../../../src/shared/clock.ts';
import { newId } from '../../../src/shared/ids.ts';
import { createRedactor, type Redactor } from '../../../src/shared/redact.ts';
import { createCredentialBroker } from '../../../src/tools/broker.ts';
import type { ToolResult } from '../../../src/tools/define.ts';
import { createToolRegistry } from '../../../src/tools/registry.ts';
import { seedWorld } from '../../../src/tools/sandbox/sandbox.repository.ts';
import { createSandboxTools } from '../../../src/tools/sandbox/sandbox.tools.ts';
import { loadWorldFile } from '../../../src/tools/sandbox/world.loader.ts';
import type { World } from '../../../src/tools/sandbox/world.schemas.ts';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../helpers/database.ts';

export const SEEDED_AT = '2026-11-24T09:00:00.000Z';
export const shippedWorld = (): World =>
  loadWorldFile({ file: fileURLToPath(new URL('../../../worlds/sandbox.yaml', import.meta.url)) });

export type CallOptions = {
  environment?: string;
  key?: string;
  signal?: AbortSignal;
  incidentId?: string | null;
  /** Mint the credential for this tool instead (to test scope checks). */
  credentialFor?: string;
};

/** One Warden instance's tool side (broker, tools, executors) over a database. */
export function createToolInstance({
  database,
  clock,
  redactor = createRedactor(),
  writeDelayMs = 0,
}: {
  database: Database;
  clock: ManualClock;
  redactor?: Redactor;
  writeDelayMs?: number;
}) {
  const broker = createCredentialBroker({ db: database.db, clock, redactor });
  const tools = createSandboxTools({ db: database.db, broker, clock, redactor, writeDelayMs });
  const { registry, executors } = createToolRegistry({ tools });
  const minted: string[] = [];

  /** Calls a tool as the guard would: mint a scoped credential, run the executor, release the lease. */
  async function call(
    tool: string,
    args: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<ToolResult> {
    const environment = options.environment ?? 'production';
    const proposalId = options.key ?? newId('prp');
    const lease = await broker.mint({
      tool: options.credentialFor ?? tool,
      environment,
      agent: 'triage',
      runId: 'run_test',
      proposalId,
    });
    minted.push(lease.token);
    try {
      return await executors.get(tool)!.execute(args, {
        environment,
        agent: 'triage',
        runId: 'run_test',
        proposalId,
        incidentId: options.incidentId === undefined ? 'INC-123' : options.incidentId,
        idempotencyKey: proposalId,
        credential: lease.token,
        signal: options.signal ?? new AbortController().signal,
      });
    } finally {
      await broker.release({ leaseId: lease.leaseId });
    }
  }
  return { broker, registry, executors, redactor, call, minted };
}

/** A fresh database seeded with the shipped world, and one tool instance on it. */
export async function createSandboxHarness({
  kind,
  writeDelayMs = 0,
  world = shippedWorld(),
}: {
  kind: DatabaseKind;
  writeDelayMs?: number;
  world?: World;
}) {
  const database: TestDatabase = await createTestDatabase(kind);
  const clock = createManualClock(SEEDED_AT);
  await seedWorld({ db: database.db, world, now: clock.now() });
  const instance = createToolInstance({ database, clock, writeDelayMs });
  /** Puts the world back as shipped (cheaper than a new database per test). */
  const reset = async () => {
    clock.set(SEEDED_AT);
    await seedWorld({ db: database.db, world, now: clock.now(), reset: true });
  };
  return { database, db: database.db, clock, world, reset, ...instance };
}
export type SandboxHarness = Awaited<ReturnType<typeof createSandboxHarness>>;

/** Expects a promise to reject with a Warden error of this code. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    const actual = (error as { code?: string }).code;
    if (actual === code) return;
    throw new Error(`expected ${code}, got ${actual ?? String(error)}`);
  }
  throw new Error(`expected ${code}, but it resolved`);
}
