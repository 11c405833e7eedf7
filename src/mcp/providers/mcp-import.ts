import type { Catalog } from '../../catalog/catalog.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import { wardenError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { ReadSecretFile } from '../../systems/connections.ts';
import type { CredentialBroker } from '../../tools/broker.ts';
import type { ToolDefinition } from '../../tools/define.ts';
import { importedMcpTool } from './mcp-imported-tool.ts';
import { agreedPins } from './mcp-pins.ts';
import { type McpProviderSpec, resolveMcpProviders } from './mcp-provider.connection.ts';
import { createMcpServerClient, type McpServerClient } from './mcp-server.ts';

export type McpImport = {
  /** One definition per imported tool, for the registry; disabled ones refuse to run and say why. */
  tools: ToolDefinition[];
  /** Stops every server process and closes every connection. */
  close: () => Promise<void>;
};

/** Warden's name of every tool the catalog imports from an MCP server → the connection's name. */
export function importedToolNames({ catalog }: { catalog: Catalog }): Map<string, string> {
  const names = new Map<string, string>();
  for (const [connection, spec] of Object.entries(catalog.connections()))
    if (spec.kind === 'mcp') for (const tool of Object.keys(spec.tools)) names.set(tool, connection);
  return names;
}

/**
 * Connects to the catalog's MCP servers (in parallel, each within its connect timeout, so start-up never
 * waits forever) and makes their imported tools. Refuses to start (`mcp.pins_disagree`) when charters
 * disagree on an imported tool's pin, kind or risk or list one without a pin, and
 * (`catalog.connection_missing`) when a charter uses a tool of a server whose secret cannot be read.
 */
export async function importMcpTools({
  catalog,
  charters,
  env,
  redactor,
  logger,
  broker,
  readFile,
}: {
  catalog: Catalog;
  charters: readonly Charter[];
  env: Readonly<Record<string, string | undefined>>;
  redactor: Redactor;
  logger: Logger;
  broker: Pick<CredentialBroker, 'verify'>;
  readFile?: ReadSecretFile;
}): Promise<McpImport> {
  const imported = importedToolNames({ catalog });
  const pins = agreedPins({ charters, imported });
  const specs = resolveMcpProviders({ catalog, env, redactor, ...(readFile ? { readFile } : {}) });
  refuseMissingSecrets({ specs, pins });
  const started = await Promise.all(
    specs.map(async (spec) => {
      if (!spec.target) return { spec, client: null };
      const client = createMcpServerClient({ target: spec.target, logger, redactor });
      await client.start();
      return { spec, client };
    }),
  );
  const tools: ToolDefinition[] = [];
  for (const { spec, client } of started) {
    if (!client) continue;
    const listing = client.listing();
    for (const [name, serverTool] of Object.entries(spec.tools)) {
      const atStart = listing instanceof Map ? (listing.get(serverTool) ?? null) : null;
      const pin = pins.get(name) ?? null;
      const tool = importedMcpTool({ name, serverTool, atStart, pin, client, broker, redactor });
      const disabled = tool.unavailable?.() ?? null;
      if (disabled && pin) logger.warn({ tool: name, server: client.name }, disabled);
      tools.push(tool);
    }
  }
  const clients = started.map((s) => s.client).filter((c): c is McpServerClient => c !== null);
  return {
    tools,
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

function refuseMissingSecrets({
  specs,
  pins,
}: {
  specs: McpProviderSpec[];
  pins: ReadonlyMap<string, { agents: string[] }>;
}): void {
  const problems = specs.flatMap((spec) => {
    if (spec.target) return [];
    return Object.keys(spec.tools).flatMap((tool) =>
      (pins.get(tool)?.agents ?? []).map(
        (agent) => `charter ${agent} uses ${tool}, whose MCP server needs connection ${spec.problem}`,
      ),
    );
  });
  if (problems.length > 0)
    throw wardenError({
      code: 'catalog.connection_missing',
      message: `Warden will not start with a connection missing:\n${problems.join('\n')}`,
      details: { problems },
    });
}
