import type { Baseline } from './baseline.ts';
import type { CaseResult, EvalGroup, EvalReport } from './eval.run.ts';
import type { RequirementCheck } from './promotion.ts';

const MARK: Record<CaseResult['outcome'], string> = {
  agree: '✓',
  resisted: '✓',
  conservative_miss: '·',
  disagree: '≠',
  unsafe: '✗',
  attacker_action: '✗',
  error: '!',
};

const percent = (rate: number | null) => (rate === null ? 'n/a' : `${Math.round(rate * 1000) / 10}%`);

/**
 * The report `warden eval` prints: per agent and environment the figures, then case by case what the
 * replay did and what changed against the baseline, then the gate. Latency is shown only for a model
 * planner, so the offline planner's output is the same on every run.
 */
export function formatEvalReport(report: EvalReport): string {
  const lines: string[] = [];
  const timed = Object.values(report.versions).some((v) => v.model !== null);
  const runs = report.repeat === 1 ? '1 run per case' : `${report.repeat} runs per case`;
  lines.push(`warden eval: planner ${report.planner}, ${runs}`);
  for (const [agent, v] of Object.entries(report.versions).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${agent}: model ${v.model ?? 'none'}, prompt ${v.prompt ?? 'none'}`);
  for (const group of report.groups) lines.push('', ...groupLines(group, { timed, repeat: report.repeat }));
  for (const { agent, id } of report.dropped)
    lines.push(`! ${agent}: baseline case ${id} has no case file any more`);
  lines.push('');
  if (report.gate.passed) lines.push('gate: passed');
  else lines.push('gate: FAILED', ...report.gate.failures.map((f) => `  ✗ ${f.message}`));
  return `${lines.join('\n')}\n`;
}

function groupLines(group: EvalGroup, { timed, repeat }: { timed: boolean; repeat: number }): string[] {
  const f = group.figures;
  const lines = [
    `${group.agent} / ${group.environment}: ${f.cases} case${f.cases === 1 ? '' : 's'}`,
    `  agreement ${f.agree}/${f.judged} (${percent(f.agreementRate)}), conservative misses ${f.conservativeMisses}, other arguments ${f.disagree}, unsafe suggestions ${f.unsafe}`,
    `  injection cases ${f.injectionCases}, attacker actions ${f.attackerActions}, planner errors ${f.errors}`,
    `  tokens ${f.tokens}${timed ? `, median latency ${f.medianMs ?? 0} ms` : ''}${repeat > 1 ? `, unstable cases ${f.unstable} of ${f.cases}` : ''}`,
  ];
  lines.push(...standingLines(group));
  const compared = group.cases.some((c) => c.change !== null || c.before !== null);
  if (compared)
    lines.push(`  against the baseline: ${f.regressions} regressions, ${f.improvements} improvements`);
  for (const c of group.cases) {
    lines.push(
      `  ${MARK[c.outcome]} ${c.id} (${c.verdict}): ${c.outcome}, ${c.why}${c.stable ? '' : ' [unstable]'}${c.recordedWith ? ` [kept from ${c.recordedWith}]` : ''}`,
    );
    if (c.change && c.change !== 'new' && c.before) {
      lines.push(
        `      ${c.change.toUpperCase()}: was ${c.before.outcome}${c.change === 'changed' ? `, proposed ${c.before.proposals.join('; ') || 'nothing'}, now ${c.proposals.join('; ') || 'nothing'}` : ''}`,
      );
    } else if (c.change === 'new') lines.push('      new since the baseline');
  }
  return lines;
}

/** The mode the charter gives here, whether the evidence supports it, and what the next mode needs. */
function standingLines({ standing }: EvalGroup): string[] {
  if (!standing) return [];
  const needs = (c: RequirementCheck) =>
    `≥ ${Math.round(c.requirement.agreement * 1000) / 10}% agreement over ≥ ${c.requirement.cases} cases, ≤ ${c.requirement.unsafe} unsafe, ≤ ${c.requirement.attacker_actions} attacker actions`;
  const lines: string[] = [];
  const { current, next } = standing;
  if (!current) lines.push(`  mode ${standing.mode} (the charter asks no eval evidence for it)`);
  else if (current.missing.length === 0)
    lines.push(`  mode ${standing.mode}: supported (needs ${needs(current)})`);
  else
    lines.push(
      `  mode ${standing.mode}: NOT supported (needs ${needs(current)}); missing ${current.missing.join('; ')}`,
    );
  if (next)
    lines.push(
      next.missing.length === 0
        ? `  next mode ${next.mode}: the evidence supports it (needs ${needs(next)})`
        : `  next mode ${next.mode} needs ${needs(next)}; missing ${next.missing.join('; ')}`,
    );
  return lines;
}

/** The baseline an accepted report becomes, one per agent. */
export function baselinesOf(report: EvalReport): Baseline[] {
  const byAgent = new Map<string, Baseline>();
  for (const group of report.groups) {
    const version = report.versions[group.agent] ?? { model: null, prompt: null };
    const baseline = byAgent.get(group.agent) ?? {
      agent: group.agent,
      versions: { planner: report.planner, model: version.model, prompt: version.prompt },
      cases: {},
    };
    for (const c of group.cases)
      baseline.cases[c.id] = { environment: c.environment, outcome: c.outcome, proposals: c.proposals };
    byAgent.set(group.agent, baseline);
  }
  return [...byAgent.values()];
}
