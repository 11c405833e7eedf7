import type { ToolInfo } from '../define.ts';
import type { ToolCatalogEntry } from '../registry.ts';
import { createTicketInfo } from './create-ticket.tool.ts';
import { getIncidentInfo } from './get-incident.tool.ts';
import { getRecentDeploysInfo } from './get-recent-deploys.tool.ts';
import { getServiceHealthInfo } from './get-service-health.tool.ts';
import { restartServiceInfo } from './restart-service.tool.ts';
import { rollbackDeployInfo } from './rollback-deploy.tool.ts';
import { scaleServiceInfo } from './scale-service.tool.ts';
import { searchLogsInfo } from './search-logs.tool.ts';

/** Metadata of every sandbox tool, without executors or a database: for the CLI and charter tests. */
export const sandboxToolInfos: readonly ToolInfo[] = [
  getIncidentInfo,
  getServiceHealthInfo,
  getRecentDeploysInfo,
  searchLogsInfo,
  createTicketInfo,
  restartServiceInfo,
  scaleServiceInfo,
  rollbackDeployInfo,
];

/** Kind, risk and reversibility of every sandbox tool, by name. */
export const sandboxToolCatalog: Record<string, ToolCatalogEntry> = Object.fromEntries(
  sandboxToolInfos.map((t) => [t.name, { kind: t.kind, risk: t.risk, reversible: t.reversible }]),
);
