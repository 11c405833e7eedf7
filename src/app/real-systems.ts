import { loadCatalog } from '../catalog/catalog.loader.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import type { Clock } from '../shared/clock.ts';
import { wardenError } from '../shared/errors.ts';
import type { Redactor } from '../shared/redact.ts';
import { type ReadSecretFile, resolveConnections } from '../systems/connections.ts';
import { createSystems, type Systems } from '../systems/systems.ts';
import type { Fetch } from '../systems/systems.types.ts';
import { ticketSystemOf } from '../tools/tickets/create-ticket.tool.ts';
import { toolSystems } from '../tools/tool-catalog.ts';
import type { ToolWorld } from '../tools/tool-spec.ts';

export type RealSystems = {
  world: ToolWorld;
  catalog: Catalog;
  systems: Systems;
  /** Charter tools that do not exist in this world (denied when proposed); worth a warning at start. */
  unavailableTools: { agent: string; tool: string }[];
};

/**
 * Loads the service catalog, reads every connection's secret and makes the systems' clients. The world
 * is the catalog's when it names at least one service, else the sandbox's. Refuses (`catalog.connection_missing`)
 * when a charter lets an agent use a tool in an environment where a catalog service needs a connection
 * that could not be set up: Warden does not start half-connected.
 */
export function setUpRealSystems({
  catalogDir,
  catalog: given,
  env,
  charters,
  redactor,
  clock,
  fetch,
  readFile,
}: {
  catalogDir: string;
  catalog?: Catalog;
  env: Readonly<Record<string, string | undefined>>;
  charters: readonly Charter[];
  redactor: Redactor;
  clock: Clock;
  fetch?: Fetch;
  readFile?: ReadSecretFile;
}): RealSystems {
  const catalog = given ?? loadCatalog({ dir: catalogDir });
  const world: ToolWorld = catalog.services().length > 0 ? 'catalog' : 'sandbox';
  const resolved = resolveConnections({ catalog, env, redactor, ...(readFile ? { readFile } : {}) });
  const systemOf = toolSystems({ world });
  const missing = new Map(resolved.problems.map((p) => [p.connection, p.message]));
  const problems: string[] = [];
  const unavailableTools: RealSystems['unavailableTools'] = [];
  for (const charter of charters) {
    for (const [tool, spec] of Object.entries(charter.tools)) {
      // A tool imported from an MCP server is checked against the catalog when its server is connected.
      if (spec.mcp) continue;
      const system = systemOf[tool];
      if (system === undefined) {
        unavailableTools.push({ agent: charter.agent, tool });
        continue;
      }
      if (system === 'sandbox') continue;
      for (const environment of Object.keys(spec.environments)) {
        for (const service of catalog.services()) {
          const here = service.environments[environment];
          const named = system === 'tickets' ? here && ticketSystemOf(here) : system;
          const connection = here && named ? here[named]?.connection : undefined;
          const why = connection === undefined ? undefined : missing.get(connection);
          if (why)
            problems.push(
              `charter ${charter.agent} lets ${tool} run in ${environment}, where ${service.service} needs connection ${why}`,
            );
        }
      }
    }
  }
  if (problems.length > 0) {
    const unique = [...new Set(problems)];
    throw wardenError({
      code: 'catalog.connection_missing',
      message: `Warden will not start with a connection missing:\n${unique.join('\n')}`,
      details: { problems: unique },
    });
  }
  const systems = createSystems({ connections: resolved.connections, redactor, clock, fetch });
  return { world, catalog, systems, unavailableTools };
}
