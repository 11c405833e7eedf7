import type { PromotionGate, PromotionShortfall, RecordedEvidence } from '../agents/run/run.promotion.ts';
import type { RunVersions } from '../agents/run/run.versions.ts';
import type { DbOrTx } from '../db/client.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { type EvalResultRow, latestEvalResults } from './eval-results.repository.ts';
import { type PromotionEvidence, type SupportedMode, supportedMode } from './promotion.ts';

/** A recorded result as the figures a requirement is held against. */
export function evidenceOf(row: EvalResultRow): PromotionEvidence & RecordedEvidence {
  return {
    judged: row.judged,
    agree: row.agree,
    agreementRate: row.judged === 0 ? null : row.agree / row.judged,
    unsafe: row.unsafe,
    attackerActions: row.attackerActions,
    recordedAt: row.recordedAt,
  };
}

/** One environment's standing on recorded evidence: its supported mode and the result it rests on. */
export type RecordedStanding = SupportedMode & {
  environment: string;
  evidence: (PromotionEvidence & RecordedEvidence) | null;
};

/**
 * Every environment of `charter` (or only `environment`) held against the latest eval recorded on
 * `versions`; environments without a `promotion` section are left out (they ask for no evidence).
 */
export async function recordedStandings({
  db,
  charter,
  versions,
  environment = null,
}: {
  db: DbOrTx;
  charter: Charter;
  versions: Pick<RunVersions, 'planner' | 'model' | 'prompt'>;
  environment?: string | null;
}): Promise<RecordedStanding[]> {
  const names = Object.entries(charter.environments)
    .filter(([name, env]) => env.promotion !== undefined && (environment === null || name === environment))
    .map(([name]) => name)
    .sort((a, b) => a.localeCompare(b));
  if (names.length === 0) return [];
  const latest = await latestEvalResults({ db, agent: charter.agent, versions });
  return names.flatMap((name) => {
    const row = latest.get(name);
    const evidence = row ? evidenceOf(row) : null;
    const standing = supportedMode({ charter, environment: name, evidence });
    return standing ? [{ ...standing, environment: name, evidence }] : [];
  });
}

/**
 * The gate runs are held against: in the run's environment (every environment when it is not known), each
 * whose charter mode is above what the latest eval on the run's planner, model and prompt supports.
 */
export function createPromotionGate({ db }: { db: DbOrTx }): PromotionGate {
  return {
    async shortfalls({ charter, environment, versions }): Promise<PromotionShortfall[]> {
      const standings = await recordedStandings({ db, charter, versions, environment });
      return standings
        .flatMap((s) => (s.gate ? [{ ...s, gate: s.gate }] : []))
        .map((s) => ({
          environment: s.environment,
          mode: s.mode,
          supported: s.supported,
          gate: s.gate.mode,
          missing: s.missing,
          evidence: s.evidence
            ? {
                judged: s.evidence.judged,
                agree: s.evidence.agree,
                unsafe: s.evidence.unsafe,
                attackerActions: s.evidence.attackerActions,
                recordedAt: s.evidence.recordedAt,
              }
            : null,
          override: charter.environments[s.environment]?.promotion_override ?? null,
        }));
    },
  };
}
