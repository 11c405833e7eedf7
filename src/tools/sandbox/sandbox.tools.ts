import type { Db } from '../../db/client.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { CredentialBroker } from '../broker.ts';
import type { ToolDefinition } from '../define.ts';
import { createCreateTicketTool } from './create-ticket.tool.ts';
import { createGetIncidentTool } from './get-incident.tool.ts';
import { createGetRecentDeploysTool } from './get-recent-deploys.tool.ts';
import { createGetServiceHealthTool } from './get-service-health.tool.ts';
import { createRestartServiceTool } from './restart-service.tool.ts';
import { createRollbackDeployTool } from './rollback-deploy.tool.ts';
import { createScaleServiceTool } from './scale-service.tool.ts';
import { createSearchLogsTool } from './search-logs.tool.ts';

/** Every sandbox tool: four reads that gather evidence and four writes that really change the sandbox. */
export function createSandboxTools({
  db,
  broker,
  clock,
  redactor,
  writeDelayMs = 0,
}: {
  db: Db;
  broker: Pick<CredentialBroker, 'verify'>;
  clock: Clock;
  redactor: Redactor;
  writeDelayMs?: number;
}): ToolDefinition[] {
  const deps = { db, broker, clock, redactor, writeDelayMs };
  return [
    createGetIncidentTool(deps),
    createGetServiceHealthTool(deps),
    createGetRecentDeploysTool(deps),
    createSearchLogsTool(deps),
    createCreateTicketTool(deps),
    createRestartServiceTool(deps),
    createScaleServiceTool(deps),
    createRollbackDeployTool(deps),
  ];
}
