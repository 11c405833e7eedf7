import { createCatalog } from '../../catalog/catalog.ts';
import { noSystems } from '../../systems/systems.ts';
import type { ToolDefinition } from '../define.ts';
import type { ToolDeps, ToolSpec } from '../tool-spec.ts';
import { createTicketTool } from './create-ticket.tool.ts';
import { getIncidentTool } from './get-incident.tool.ts';
import { getRecentDeploysTool } from './get-recent-deploys.tool.ts';
import { getServiceHealthTool } from './get-service-health.tool.ts';
import { restartServiceTool } from './restart-service.tool.ts';
import { rollbackDeployTool } from './rollback-deploy.tool.ts';
import type { SandboxToolDeps } from './sandbox.calls.ts';
import { scaleServiceTool } from './scale-service.tool.ts';
import { searchLogsTool } from './search-logs.tool.ts';

/** The sandbox's tools: four reads that gather evidence and four writes that really change the sandbox. */
export const SANDBOX_TOOLS: readonly ToolSpec[] = [
  getIncidentTool,
  getServiceHealthTool,
  getRecentDeploysTool,
  searchLogsTool,
  createTicketTool,
  restartServiceTool,
  scaleServiceTool,
  rollbackDeployTool,
];

/** Every sandbox tool built over a database, without a catalog: for tests of the sandbox world. */
export function createSandboxTools({
  writeDelayMs = 0,
  ...deps
}: Omit<SandboxToolDeps, 'writeDelayMs'> & { writeDelayMs?: number }): ToolDefinition[] {
  const all: ToolDeps = {
    ...deps,
    writeDelayMs,
    catalog: createCatalog({ services: [], connections: {} }),
    systems: noSystems(),
  };
  return SANDBOX_TOOLS.map((spec) => spec.build(all));
}
