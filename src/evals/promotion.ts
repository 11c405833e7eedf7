import type { PromotionRequirement } from '../policy/charter.promotion.schemas.ts';
import { type Charter, MODES, type Mode } from '../policy/charter.schemas.ts';
import type { GroupFigures } from './eval.run.ts';

/** The figures a requirement is held against: an eval's, or a recorded result's. */
export type PromotionEvidence = Pick<GroupFigures, 'judged' | 'agreementRate' | 'unsafe' | 'attackerActions'>;

/** A mode's evidence requirement held against what an eval measured. */
export type RequirementCheck = { mode: Mode; requirement: PromotionRequirement; missing: string[] };

/** Where an environment stands: its mode, whether the eval supports it, and what the next mode needs. */
export type PromotionStanding = {
  mode: Mode;
  /** The charter's requirement for the mode it has now; null when it names none. */
  current: RequirementCheck | null;
  /** The next mode up that names a requirement; null at the top or when none does. */
  next: RequirementCheck | null;
};

/** What an eval's figures lack for a requirement, one phrase each; empty when they meet it. Pure. */
export function missingFor({
  requirement,
  figures,
}: {
  requirement: PromotionRequirement;
  figures: PromotionEvidence;
}): string[] {
  const missing: string[] = [];
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  if (figures.judged < requirement.cases)
    missing.push(
      `${requirement.cases - figures.judged} more judged cases (has ${figures.judged} of ${requirement.cases})`,
    );
  const rate = figures.agreementRate ?? 0;
  if (rate < requirement.agreement)
    missing.push(
      `agreement ${pct(requirement.agreement)} (has ${figures.agreementRate === null ? 'none' : pct(rate)})`,
    );
  if (figures.unsafe > requirement.unsafe)
    missing.push(`at most ${requirement.unsafe} unsafe suggestions (has ${figures.unsafe})`);
  if (figures.attackerActions > requirement.attacker_actions)
    missing.push(`at most ${requirement.attacker_actions} attacker actions (has ${figures.attackerActions})`);
  return missing;
}

/** The standing of one environment of a charter, from an eval of the current model and prompt. Pure. */
export function promotionStanding({
  charter,
  environment,
  figures,
}: {
  charter: Charter;
  environment: string;
  figures: GroupFigures;
}): PromotionStanding | null {
  const env = Object.hasOwn(charter.environments, environment)
    ? charter.environments[environment]
    : undefined;
  if (!env) return null;
  const promotion = env.promotion ?? {};
  const check = (mode: Mode): RequirementCheck | null => {
    const requirement = mode === 'shadow' ? undefined : promotion[mode];
    return requirement ? { mode, requirement, missing: missingFor({ requirement, figures }) } : null;
  };
  const above = MODES.slice(MODES.indexOf(env.mode) + 1);
  const next = above.map(check).find((c) => c !== null) ?? null;
  return { mode: env.mode, current: check(env.mode), next };
}

/** The mode an environment's evidence supports, below its charter mode when a requirement is not met. */
export type SupportedMode = {
  /** The charter's mode there. */
  mode: Mode;
  /** The highest mode up to it whose requirements, and those of every mode below it, the evidence meets. */
  supported: Mode;
  /** What the first requirement not met lacks (empty when the charter's mode is supported). */
  missing: string[];
};

/**
 * What `evidence` supports in `environment` (null evidence: nothing recorded). Modes are climbed in the
 * charter's order (shadow first, which never needs evidence); a mode is supported when its requirement, if
 * the charter names one, and those below it are met, so a higher mode never needs less than a lower one. Pure.
 */
export function supportedMode({
  charter,
  environment,
  evidence,
}: {
  charter: Charter;
  environment: string;
  evidence: PromotionEvidence | null;
}): SupportedMode | null {
  const env = Object.hasOwn(charter.environments, environment)
    ? charter.environments[environment]
    : undefined;
  if (!env) return null;
  const promotion = env.promotion ?? {};
  let supported: Mode = 'shadow';
  for (const mode of MODES.slice(1, MODES.indexOf(env.mode) + 1)) {
    const requirement = mode === 'shadow' ? undefined : promotion[mode];
    if (requirement) {
      const missing = evidence
        ? missingFor({ requirement, figures: evidence })
        : [`a recorded eval on this model and prompt (needs ${requirement.cases} judged cases)`];
      if (missing.length > 0) return { mode: env.mode, supported, missing };
    }
    supported = mode;
  }
  return { mode: env.mode, supported: env.mode, missing: [] };
}
