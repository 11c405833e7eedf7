import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import type { Planner } from '../../src/agents/planner.types.ts';
import { buildServices, type Services } from '../../src/app/services.ts';
import type { Catalog } from '../../src/catalog/catalog.ts';
import { parseConfig } from '../../src/config/config.ts';
import type { Database } from '../../src/db/client.ts';
import { parseCharterText } from '../../src/policy/charter.loader.ts';
import type { Charter } from '../../src/policy/charter.schemas.ts';
import { createManualClock, type ManualClock } from '../../src/shared/clock.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createRedactor } from '../../src/shared/redact.ts';
import { type DatabaseKind, refill, type TestDatabase, useTestDatabase } from './database.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A pino destination that keeps every line in memory, for canary checks. */
export function createLogCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { lines, stream, text: () => lines.join('') };
}

export type TestServices = Services & { clock: ManualClock; logs: ReturnType<typeof createLogCapture> };

export type TestServicesOptions = {
  database: Database;
  charters?: Charter[];
  env?: Record<string, string>;
  clock?: ManualClock;
  instanceId?: string;
  sandboxWriteDelayMs?: number;
  executionTimeoutMs?: number;
  recoverySweepMs?: number;
  secrets?: string[];
  planner?: Planner;
  /** A service catalog (real systems) instead of the sandbox world. */
  catalog?: Catalog;
};

/**
 * Warden's real services on a test database, with a manual clock, captured logs and the shipped
 * charters and sandbox world unless others are given.
 */
export async function createTestServices({
  database,
  charters,
  env = {},
  clock = createManualClock(),
  instanceId = 'test-instance',
  sandboxWriteDelayMs = 0,
  executionTimeoutMs,
  recoverySweepMs,
  secrets = [],
  planner,
  catalog,
}: TestServicesOptions): Promise<TestServices> {
  const config = parseConfig({
    env: {
      CHARTERS_DIR: `${repoRoot}/charters`,
      WARDEN_WORLD_FILE: `${repoRoot}/worlds/sandbox.yaml`,
      WARDEN_INSTANCE_ID: instanceId,
      LOG_LEVEL: 'debug',
      ...env,
    },
  });
  const redactor = createRedactor({ secrets: [...config.secrets, ...secrets] });
  const logs = createLogCapture();
  const logger = createLogger({ level: 'debug', redactor, destination: logs.stream });
  const services = await buildServices({
    config,
    database,
    clock,
    logger,
    redactor,
    charters,
    sandboxWriteDelayMs,
    executionTimeoutMs,
    recoverySweepMs,
    planner,
    catalog,
  });
  return Object.assign(services, { clock, logs });
}

/**
 * For a `describe`: in each of its tests, `services` are Warden's services on `database` (see
 * useTestDatabase), made with `options()` (called in each test), and closed after it. Like `database`,
 * `services` is the same object in every test, refilled; closing it twice closes it once.
 */
export function useTestServices({
  kind,
  options = () => ({}),
}: {
  kind: DatabaseKind;
  options?: () => Omit<TestServicesOptions, 'database'>;
}): { database: TestDatabase; services: TestServices } {
  const database = useTestDatabase(kind);
  const services = {} as TestServices;
  beforeEach(async () => {
    const opened = await createTestServices({ ...options(), database });
    let closing: Promise<void> | undefined;
    refill(services, { ...opened, close: () => (closing ??= opened.close()) });
  });
  afterEach(() => services.close());
  return { database, services };
}

/** Parses a charter written inline in a test. */
export function charterFromYaml(text: string, file = 'test-charter.yaml'): Charter {
  return parseCharterText({ text, file });
}
