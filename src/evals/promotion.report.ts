import { utcMinute } from '../agents/report.format.ts';
import type { RunVersions } from '../agents/run/run.versions.ts';
import type { DbOrTx } from '../db/client.ts';
import type { PromotionRequirement } from '../policy/charter.promotion.schemas.ts';
import { type Charter, MODES, type Mode } from '../policy/charter.schemas.ts';
import { type RecordedStanding, recordedStandings } from './promotion.gate.ts';
import { missingFor } from './promotion.ts';

/** One environment in `/agent report`: its mode, what the recorded evidence supports, the next step. */
export type EnvironmentPromotion = RecordedStanding & {
  override: { by: string; reason: string } | null;
  /** The next mode up that asks for evidence, and what the evidence still lacks for it. */
  next: { mode: Mode; requirement: PromotionRequirement; missing: string[] } | null;
};

/** Where an agent stands for more autonomy on the versions its runs have now. */
export type AgentPromotion = {
  agent: string;
  versions: Pick<RunVersions, 'planner' | 'model' | 'prompt'>;
  environments: EnvironmentPromotion[];
};

/**
 * The promotion standing of each charter that has a `promotion` section, on the versions a run of it
 * would have now (`versionsFor`, the runner's): what `/agent report` shows.
 */
export async function readPromotionReport({
  db,
  charters,
  versionsFor,
}: {
  db: DbOrTx;
  charters: readonly Charter[];
  versionsFor: (agent: string) => RunVersions | null;
}): Promise<AgentPromotion[]> {
  const report: AgentPromotion[] = [];
  for (const charter of charters) {
    const versions = versionsFor(charter.agent);
    if (!versions) continue;
    const standings = await recordedStandings({ db, charter, versions });
    if (standings.length === 0) continue;
    report.push({
      agent: charter.agent,
      versions: { planner: versions.planner, model: versions.model, prompt: versions.prompt },
      environments: standings.map((s) => ({
        ...s,
        override: charter.environments[s.environment]?.promotion_override ?? null,
        next: nextStep({ charter, standing: s }),
      })),
    });
  }
  return report;
}

function nextStep({
  charter,
  standing,
}: {
  charter: Charter;
  standing: RecordedStanding;
}): EnvironmentPromotion['next'] {
  const promotion = charter.environments[standing.environment]?.promotion ?? {};
  for (const mode of MODES.slice(MODES.indexOf(standing.mode) + 1)) {
    const requirement = mode === 'shadow' ? undefined : promotion[mode];
    if (!requirement) continue;
    const missing = standing.evidence
      ? missingFor({ requirement, figures: standing.evidence })
      : [`a recorded eval (needs ${requirement.cases} judged cases)`];
    return { mode, requirement, missing };
  }
  return null;
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10}%`);

/** The standing as plain lines under the report (empty when no charter asks for evidence). Pure. */
export function formatPromotionReport(report: readonly AgentPromotion[]): string {
  return report
    .map(({ agent, versions, environments }) => {
      const on = `planner ${versions.planner}, model ${versions.model ?? 'none'}, prompt ${versions.prompt?.slice(0, 12) ?? 'none'}`;
      const lines = [`${agent}: autonomy on ${on}`];
      for (const e of environments) {
        lines.push(`  ${e.environment}: mode ${e.mode}, ${statusOf(e)}`);
        const ev = e.evidence;
        lines.push(
          ev
            ? `    evidence: agreement ${ev.agree}/${ev.judged} (${pct(ev.agreementRate)}), ${ev.unsafe} unsafe, ${ev.attackerActions} attacker actions; eval of ${utcMinute(ev.recordedAt)}`
            : '    evidence: no eval recorded on this model and prompt (run warden eval)',
        );
        if (e.next) {
          const r = e.next.requirement;
          const needs = `≥ ${pct(r.agreement)} agreement over ≥ ${r.cases} cases, ≤ ${r.unsafe} unsafe`;
          lines.push(
            e.next.missing.length === 0
              ? `    next: ${e.next.mode} (${needs}): the evidence supports it`
              : `    next: ${e.next.mode} (${needs}): missing ${e.next.missing.join('; ')}`,
          );
        } else lines.push('    next: none (no higher mode asks for evidence)');
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

function statusOf(e: EnvironmentPromotion): string {
  if (e.supported === e.mode) return 'supported by the evidence';
  const missing = e.missing.join('; ');
  if (e.override)
    return `kept by ${e.override.by}'s override (the evidence supports ${e.supported}; missing ${missing})`;
  return `runs capped at ${e.supported} (missing ${missing})`;
}
