import type { AuditLog } from '../../audit/audit.repository.ts';
import type { Tx } from '../../db/client.ts';
import type { Charter, Mode } from '../../policy/charter.schemas.ts';
import { cappedMode, type ModeCap, modeCapIn } from '../../policy/mode-cap.ts';
import { announceRefusedModes } from './run.refusals.ts';
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
  /** The first mode whose requirement the evidence does not meet. */
  gate: Mode;
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
 * `cap` (an alert run's, or none) lowered in every gated environment of `charter` whose charter mode is
 * above what the evidence on `versions` supports, unless an owner overrode it: the cap each proposal is
 * decided under in its own environment, at proposal and again at execution. Every environment counts, not
 * only the run's: a run may propose elsewhere, and an MCP session has no environment of its own.
 */
export async function evidenceCap({
  gate,
  charter,
  versions,
  cap,
}: {
  gate: PromotionGate;
  charter: Charter;
  versions: RunVersions;
  cap: ModeCap | null;
}): Promise<{ modeCap: ModeCap | null; promotion: RunPromotion }> {
  const shortfalls = await gate.shortfalls({ charter, environment: null, versions });
  // A shortfall caps only where it allows less than the cap the run already has there (an alert run's).
  const capped = shortfalls.filter((s) => {
    if (s.override !== null) return false;
    const before = modeCapIn({ cap, environment: s.environment });
    return cappedMode({ mode: before ?? s.mode, cap: s.supported }).capped;
  });
  const overridden = shortfalls.filter((s) => s.override !== null);
  if (capped.length === 0) return { modeCap: cap, promotion: { capped, overridden } };
  const base = typeof cap === 'string' || cap === null ? { all: cap, environments: {} } : cap;
  const environments: Record<string, Mode> = { ...base.environments };
  for (const s of capped) environments[s.environment] = s.supported;
  return { modeCap: { all: base.all, environments }, promotion: { capped, overridden } };
}

/**
 * The run's start with its mode capped by the evidence, per environment (`evidenceCap`), combined with the
 * cap it had (an alert's): each proposal gets the stricter of the two in its environment.
 */
export async function capByEvidence({
  gate,
  start,
}: {
  gate: PromotionGate;
  start: RunStart;
}): Promise<RunStart> {
  const { modeCap, promotion } = await evidenceCap({
    gate,
    charter: start.charter,
    versions: start.versions,
    cap: start.modeCap,
  });
  return { ...start, modeCap, promotion };
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
  start: Pick<RunStart, 'charter' | 'promotion' | 'modeCap' | 'versions'> & { incidentId: string | null };
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
  await announceRefusedModes({ tx, audit, charter, versions: start.versions, refused: promotion.capped });
  for (const s of promotion.capped)
    await audit.append(tx, {
      ...common,
      action: 'run.mode_capped',
      environment: s.environment,
      reasonCode: 'promotion.evidence_missing',
      details: {
        mode: s.mode,
        cappedAt: modeCapIn({ cap: start.modeCap, environment: s.environment }),
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
