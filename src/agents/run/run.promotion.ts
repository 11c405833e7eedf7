import type { AuditLog } from '../../audit/audit.repository.ts';
import type { Tx } from '../../db/client.ts';
import type { Charter, Mode } from '../../policy/charter.schemas.ts';
import { cappedMode } from '../../policy/mode-cap.ts';
import type { RunStart } from './run.start.ts';
import type { RunVersions } from './run.versions.ts';

/** The latest recorded eval of an agent in one environment, on a run's planner, model and prompt. */
export type RecordedEvidence = {
  judged: number;
  agree: number;
  unsafe: number;
  attackerActions: number;
  recordedAt: Date;
};

/**
 * An environment whose charter mode asks for more eval evidence (`promotion`) than is recorded on the
 * run's versions: the mode it has, the mode the evidence supports, what is missing, and an owner's
 * override when the charter carries one.
 */
export type PromotionShortfall = {
  environment: string;
  mode: Mode;
  supported: Mode;
  missing: string[];
  evidence: RecordedEvidence | null;
  override: { by: string; reason: string } | null;
};

/** Reads the recorded evidence for a run (built by the composition root over `eval_results`). */
export type PromotionGate = {
  /** The shortfalls in `environment`, or in every environment when the run's is not known. */
  shortfalls: (input: {
    charter: Charter;
    environment: string | null;
    versions: RunVersions;
  }) => Promise<PromotionShortfall[]>;
};

/** What the evidence did to a run's start: the shortfalls that cap it, and those an owner overrode. */
export type RunPromotion = { capped: PromotionShortfall[]; overridden: PromotionShortfall[] };

/**
 * The run's start with its mode capped by the evidence: the stricter of the cap it had (an alert's) and
 * the supported mode of every shortfall no owner overrode. The cap is one per run, like an alert's.
 */
export async function capByEvidence({
  gate,
  start,
}: {
  gate: PromotionGate;
  start: RunStart;
}): Promise<RunStart> {
  const shortfalls = await gate.shortfalls({
    charter: start.charter,
    environment: start.environment,
    versions: start.versions,
  });
  // A shortfall caps the run only where it allows less than the cap it already has (an alert run's).
  const before = start.modeCap;
  const capped = shortfalls.filter(
    (s) => s.override === null && (before === null || cappedMode({ mode: before, cap: s.supported }).capped),
  );
  const overridden = shortfalls.filter((s) => s.override !== null);
  let modeCap = start.modeCap;
  for (const s of capped)
    modeCap = modeCap === null ? s.supported : cappedMode({ mode: modeCap, cap: s.supported }).mode;
  return { ...start, modeCap, promotion: { capped, overridden } };
}

/**
 * In the run's starting transaction: `run.mode_capped` when the evidence caps it (said in its thread), and
 * `promotion.override_used` for each owner's override that kept a mode the evidence does not support.
 */
export async function auditRunPromotion({
  tx,
  audit,
  start,
  runId,
}: {
  tx: Tx;
  audit: AuditLog;
  start: RunStart;
  runId: string;
}): Promise<void> {
  const { charter, promotion } = start;
  if (!promotion) return;
  const common = {
    actor: 'warden',
    agent: charter.agent,
    charterHash: charter.hash,
    runId,
    incidentId: start.incidentId,
  };
  const versions = {
    planner: start.versions.planner,
    model: start.versions.model,
    prompt: start.versions.prompt,
  };
  for (const s of promotion.capped)
    await audit.append(tx, {
      ...common,
      action: 'run.mode_capped',
      environment: s.environment,
      reasonCode: 'promotion.evidence_missing',
      details: {
        mode: s.mode,
        cappedAt: start.modeCap,
        supported: s.supported,
        missing: s.missing,
        evidence: s.evidence,
        versions,
      },
    });
  for (const s of promotion.overridden)
    await audit.append(tx, {
      ...common,
      action: 'promotion.override_used',
      environment: s.environment,
      reasonCode: 'promotion.override',
      details: {
        mode: s.mode,
        supported: s.supported,
        missing: s.missing,
        by: s.override?.by,
        reason: s.override?.reason,
        versions,
      },
    });
}
