import { closestName } from '../shared/did-you-mean.ts';
import type { CharterSpec } from './charter.schemas.ts';

export type CharterProblem = { path: PropertyKey[]; message: string };

/**
 * Checks the schema cannot make on its own: names that must refer to a tool (a typo in a tool key would
 * silently deny that tool at run time, one in a prohibition would silently never match) and durations
 * that must not be zero (a zero wall time or approval TTL would deny or expire everything).
 * `knownTools` are the tools Warden has (the callers pass the tool catalog's names); without them only
 * references between parts of the charter are checked.
 */
export function checkCharterReferences({
  spec,
  knownTools,
}: {
  spec: CharterSpec;
  knownTools?: readonly string[] | undefined;
}): CharterProblem[] {
  const problems: CharterProblem[] = [];
  const listed = Object.keys(spec.tools);
  // A tool imported from an MCP server (`mcp:` pinned) is checked against the catalog when Warden starts.
  if (knownTools)
    for (const tool of listed)
      if (!knownTools.includes(tool) && !spec.tools[tool]?.mcp)
        problems.push({ path: ['tools', tool], message: `is ${notATool({ tool, knownTools })}` });
  const checkNamed = (tool: string, path: PropertyKey[]) => {
    if (tool === '*' || Object.hasOwn(spec.tools, tool)) return;
    if (knownTools && !knownTools.includes(tool)) {
      problems.push({ path, message: `names "${tool}", which is ${notATool({ tool, knownTools })}` });
      return;
    }
    problems.push({
      path,
      message: `names tool "${tool}", which is not under tools${suggest(tool, listed)}`,
    });
  };
  spec.prohibited.forEach((p, i) => {
    checkNamed(p.tool, ['prohibited', i, 'tool']);
  });
  spec.breakers.forEach((b, i) => {
    if (b.kind !== 'rate') return;
    checkNamed(b.tool, ['breakers', i, 'tool']);
    if (b.window === 0) problems.push({ path: ['breakers', i, 'window'], message: 'must be longer than 0' });
  });
  if (spec.budgets.wall_time === 0)
    problems.push({ path: ['budgets', 'wall_time'], message: 'must be longer than 0' });
  if (spec.approval_ttl === 0) problems.push({ path: ['approval_ttl'], message: 'must be longer than 0' });
  return problems;
}

/** Why a tool name is wrong: the tool Warden has that was probably meant, or else every tool it has. */
function notATool({ tool, knownTools }: { tool: string; knownTools: readonly string[] }): string {
  const near = suggest(tool, knownTools);
  return near
    ? `not a tool Warden has${near}`
    : `not a tool Warden has (its tools: ${[...knownTools].sort().join(', ')})`;
}

function suggest(typed: string, known: readonly string[]): string {
  const near = closestName({ typed, known });
  return near ? `; did you mean "${near}"?` : '';
}
