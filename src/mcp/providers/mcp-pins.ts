import type { Charter, McpToolPin } from '../../policy/charter.schemas.ts';
import { wardenError } from '../../shared/errors.ts';

/** An imported tool's pin as the charters give it, and which charters use it. */
export type AgreedPin = McpToolPin & { agents: string[] };

/**
 * The pin, kind and risk of each imported tool, from the charters that use it. Every charter that lists an
 * imported tool must pin it (`mcp:`), and all of them alike: Warden refuses to start otherwise, naming
 * the charters and what differs. A charter's `mcp:` entry for a tool no MCP connection imports is refused too.
 */
export function agreedPins({
  charters,
  imported,
}: {
  charters: readonly Pick<Charter, 'agent' | 'tools'>[];
  /** Warden's name of each imported tool → the connection that imports it. */
  imported: ReadonlyMap<string, string>;
}): Map<string, AgreedPin> {
  const pins = new Map<string, AgreedPin>();
  const problems: string[] = [];
  for (const charter of charters) {
    for (const [tool, spec] of Object.entries(charter.tools)) {
      const connection = imported.get(tool);
      if (connection === undefined) {
        if (spec.mcp)
          problems.push(
            `charter ${charter.agent} pins ${tool} as an MCP tool, but no MCP connection in the catalog imports a tool of that name`,
          );
        continue;
      }
      if (!spec.mcp) {
        problems.push(
          `charter ${charter.agent} lists ${tool}, imported from MCP server ${connection}, without an mcp: entry (pin, kind and risk)`,
        );
        continue;
      }
      const { pin, kind, risk } = spec.mcp;
      const earlier = pins.get(tool);
      if (!earlier) {
        pins.set(tool, { pin, kind, risk, agents: [charter.agent] });
        continue;
      }
      const differs = [
        ...(earlier.pin !== pin ? [`pin ${earlier.pin} vs ${pin}`] : []),
        ...(earlier.kind !== kind ? [`kind ${earlier.kind} vs ${kind}`] : []),
        ...(earlier.risk !== risk ? [`risk ${earlier.risk} vs ${risk}`] : []),
      ];
      if (differs.length > 0)
        problems.push(
          `charters ${earlier.agents.join(', ')} and ${charter.agent} disagree on the MCP tool ${tool}: ${differs.join('; ')}`,
        );
      else earlier.agents.push(charter.agent);
    }
  }
  if (problems.length > 0)
    throw wardenError({
      code: 'mcp.pins_disagree',
      message: `Warden will not start with these MCP tool pins:\n${problems.join('\n')}`,
      details: { problems },
    });
  return pins;
}
