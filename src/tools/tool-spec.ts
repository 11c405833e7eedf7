import type { z } from 'zod';
import type { Catalog } from '../catalog/catalog.ts';
import type { Db } from '../db/client.ts';
import type { Clock } from '../shared/clock.ts';
import type { Redactor } from '../shared/redact.ts';
import type { Systems } from '../systems/systems.ts';
import type { CredentialBroker } from './broker.ts';
import type { ToolDefinition, ToolInfo } from './define.ts';

/**
 * Where a deployment's tools act. `sandbox`: the simulated world in Warden's own database (local mode,
 * tests, a deployment without a service catalog). `catalog`: the real systems the service catalog names.
 */
export type ToolWorld = 'sandbox' | 'catalog';

/** The system a tool reads or changes, which is also the connection kind it needs in the catalog world. */
export type ToolSystem =
  | 'sandbox'
  | 'kubernetes'
  | 'prometheus'
  | 'alertmanager'
  | 'pagerduty'
  | 'jira'
  | 'github'
  | 'runbooks'
  /** Jira or GitHub issues, whichever the catalog names for the service (create_ticket). */
  | 'tickets';

/** Everything any tool is built from; each tool takes the parts it needs. Made once, by the app. */
export type ToolDeps = {
  db: Db;
  broker: Pick<CredentialBroker, 'verify'>;
  clock: Clock;
  redactor: Redactor;
  /** Simulated latency of a sandbox write before its effect, during which an abort stops it. */
  writeDelayMs: number;
  catalog: Catalog;
  systems: Systems;
};

/** One tool as the tool catalog lists it: its description, the worlds it exists in, and its builder. */
export type ToolSpec = {
  info: ToolInfo;
  system: ToolSystem;
  worlds: readonly ToolWorld[];
  build: (deps: ToolDeps) => ToolDefinition;
};

/** Declares a tool for the tool catalog (`tool-catalog.ts`), keeping its own input type inside. */
export function toolSpec<Input extends Record<string, unknown>>(spec: {
  info: Omit<ToolInfo, 'input'> & { input: z.ZodType<Input> };
  system: ToolSystem;
  worlds: readonly ToolWorld[];
  build: (deps: ToolDeps) => ToolDefinition;
}): ToolSpec {
  return spec as unknown as ToolSpec;
}
