import { checkCatalogDir } from '../../catalog/catalog.loader.ts';
import type { Output } from '../../policy/charter.cli.ts';
import { loadCharters } from '../../policy/charter.loader.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import type { Logger } from '../../shared/logger.ts';
import { createRedactor } from '../../shared/redact.ts';
import { definitionHash } from './mcp-definition.ts';
import { resolveMcpProviders } from './mcp-provider.connection.ts';
import { createMcpServerClient } from './mcp-server.ts';

/**
 * `warden catalog mcp-pins`: connects to each MCP server of the catalog, prints the hash of every tool it
 * imports as the server lists it now, and whether each charter that uses the tool pins that hash. An
 * owner reviews a changed definition, then copies the new pin into the charter. Exit 1 when a server does
 * not answer or a charter's pin differs; never prints a secret.
 */
export async function mcpPinsCommand({
  catalogDir,
  chartersDir,
  env,
  out,
  logger,
}: {
  catalogDir: string;
  chartersDir: string;
  env: Readonly<Record<string, string | undefined>>;
  out: Output;
  logger: Logger;
}): Promise<number> {
  const checked = checkCatalogDir({ dir: catalogDir });
  if (!checked.catalog) {
    for (const p of [...checked.files.flatMap((f) => f.problems), ...checked.problems]) out.write(`✗ ${p}\n`);
    return 1;
  }
  let charters: Charter[];
  try {
    charters = loadCharters({ dir: chartersDir }).charters;
  } catch (error) {
    out.write(`✗ ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const specs = resolveMcpProviders({ catalog: checked.catalog, env, redactor: createRedactor() });
  const connections = Object.entries(checked.catalog.connections()).filter(([, c]) => c.kind === 'mcp');
  if (connections.length === 0) {
    out.write(`no MCP connections in ${catalogDir}\n`);
    return 0;
  }
  let failed = false;
  for (const spec of specs) {
    if (!spec.target) {
      out.write(`✗ ${spec.problem}\n`);
      failed = true;
      continue;
    }
    const client = createMcpServerClient({ target: spec.target, logger, redactor: createRedactor() });
    try {
      const answered = await client.start();
      const listing = client.listing();
      out.write(
        `${answered ? '✓' : '✗'} MCP server ${spec.target.name}${answered ? '' : ': did not answer'}\n`,
      );
      if (!(listing instanceof Map)) {
        failed = true;
        continue;
      }
      for (const [tool, serverTool] of Object.entries(spec.tools)) {
        const listed = listing.get(serverTool);
        if (!listed) {
          out.write(`  ✗ ${tool} (${serverTool}): the server does not list it\n`);
          failed = true;
          continue;
        }
        const hash = definitionHash(listed);
        out.write(`  ${tool} (${serverTool}): ${hash}\n`);
        const users = charters.filter((c) => Object.hasOwn(c.tools, tool));
        if (users.length === 0)
          out.write(`      no charter uses it; to use it: mcp: { pin: "${hash}", kind: …, risk: … }\n`);
        for (const charter of users) {
          const pin = charter.tools[tool]?.mcp?.pin;
          if (pin === hash) out.write(`      ✓ charter ${charter.agent} pins it\n`);
          else {
            failed = true;
            out.write(
              pin
                ? `      ✗ charter ${charter.agent} pins ${pin}: the definition changed; review it, then re-pin\n`
                : `      ✗ charter ${charter.agent} lists it without an mcp: pin\n`,
            );
          }
        }
      }
    } finally {
      await client.close();
    }
  }
  return failed ? 1 : 0;
}
