import type { CharterSpec } from './charter.schemas.ts';

export type CharterProblem = { path: PropertyKey[]; message: string };

/**
 * Checks the schema cannot make on its own: names that must refer to a listed tool (a typo in a prohibition
 * would silently never match) and durations that must not be zero (a zero wall time or approval TTL would
 * deny or expire everything).
 */
export function checkCharterReferences({ spec }: { spec: CharterSpec }): CharterProblem[] {
  const problems: CharterProblem[] = [];
  const isTool = (name: string) => name === '*' || Object.hasOwn(spec.tools, name);
  spec.prohibited.forEach((p, i) => {
    if (!isTool(p.tool))
      problems.push({
        path: ['prohibited', i, 'tool'],
        message: `names tool "${p.tool}", which is not under tools`,
      });
  });
  spec.breakers.forEach((b, i) => {
    if (b.kind === 'rate' && !isTool(b.tool))
      problems.push({
        path: ['breakers', i, 'tool'],
        message: `names tool "${b.tool}", which is not under tools`,
      });
    if (b.kind === 'rate' && b.window === 0)
      problems.push({ path: ['breakers', i, 'window'], message: 'must be longer than 0' });
  });
  if (spec.budgets.wall_time === 0)
    problems.push({ path: ['budgets', 'wall_time'], message: 'must be longer than 0' });
  if (spec.approval_ttl === 0) problems.push({ path: ['approval_ttl'], message: 'must be longer than 0' });
  return problems;
}
