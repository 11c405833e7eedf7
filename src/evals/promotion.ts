import type { PromotionRequirement } from '../policy/charter.promotion.schemas.ts';
import { missingFor } from '../policy/charter.promotion.ts';
import { type Charter, MODES, type Mode } from '../policy/charter.schemas.ts';
import type { GroupFigures } from './eval.run.ts';

// The gate's rules are policy (pure, read by `warden charter validate` too); evals holds them to figures.
export {
  missingFor,
  type PromotionEvidence,
  type SupportedMode,
  supportedMode,
} from '../policy/charter.promotion.ts';

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
