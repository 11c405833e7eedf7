import type { Catalog } from '../../catalog/catalog.ts';
import type { Config } from '../../config/config.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { CredentialBroker } from '../../tools/broker.ts';
import type { ToolDefinition } from '../../tools/define.ts';

/**
 * The catalog's MCP tool providers, connected; nothing (and no SDK loaded: this file imports types only)
 * when neither the catalog nor a charter names one.
 */
export async function importMcpProviders({
  real,
  charters,
  config,
  redactor,
  logger,
  broker,
}: {
  real: { catalog: Catalog };
  charters: readonly Charter[];
  config: Config;
  redactor: Redactor;
  logger: Logger;
  broker: CredentialBroker;
}): Promise<{ tools: ToolDefinition[]; close: () => Promise<void> }> {
  const none = Object.values(real.catalog.connections()).every((c) => c.kind !== 'mcp');
  if (none && charters.every((c) => Object.values(c.tools).every((t) => !t.mcp)))
    return { tools: [], close: async () => {} };
  const { importMcpTools } = await import('./mcp-import.ts');
  const env = config.secretEnv;
  return importMcpTools({ catalog: real.catalog, charters, env, redactor, logger, broker });
}
