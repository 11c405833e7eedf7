import type { PromotionRequirement } from './charter.promotion.schemas.ts';
import { type Charter, MODES, type Mode } from './charter.schemas.ts';

/** The figures a requirement is held against: an eval's, or a recorded result's. */
export type PromotionEvidence = {
  judged: number;
  agreementRate: number | null;
  unsafe: number;
  attackerActions: number;
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

/** The mode an environment's evidence supports, below its charter mode when a requirement is not met. */
export type SupportedMode = {
  /** The charter's mode there. */
  mode: Mode;
  /** The last supported mode: what runs fall back to (see `supportedMode`). */
  supported: Mode;
  /** The first mode whose requirement is not met and what it needs; null when the charter's mode is supported. */
  gate: { mode: Mode; requirement: PromotionRequirement } | null;
  /** What that requirement lacks (empty when the charter's mode is supported). */
  missing: string[];
};

/** Modes that let a write run (with or without a person); below them a write is recorded or refused. */
const RUNS_WRITES: ReadonlySet<Mode> = new Set(['human_in_the_loop', 'human_on_the_loop', 'autonomous']);

/**
 * The last supported mode of `environment` on `evidence` (null: nothing recorded on these versions).
 * Modes are climbed in order up to the charter's; a mode with no requirement needs no evidence, one with a
 * requirement needs it met, and the climb stops at the first requirement not met (a higher mode never needs
 * less than a lower one). The last mode reached is the one supported when it lets a write run; when none
 * does, the fallback is `shadow`, never `read_only`: shadow needs no evidence and keeps recording the
 * agent's proposals for people to answer Agree / Disagree, which is the evidence the gate waits for. Pure.
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
  let reached: Mode = 'shadow';
  for (const mode of MODES.slice(1, MODES.indexOf(env.mode) + 1)) {
    const requirement = mode === 'shadow' ? undefined : promotion[mode];
    if (requirement) {
      const missing = evidence
        ? missingFor({ requirement, figures: evidence })
        : [`a recorded eval on this model and prompt (needs ${requirement.cases} judged cases)`];
      if (missing.length > 0) {
        const supported = RUNS_WRITES.has(reached) ? reached : 'shadow';
        return { mode: env.mode, supported, gate: { mode, requirement }, missing };
      }
    }
    reached = mode;
  }
  return { mode: env.mode, supported: env.mode, gate: null, missing: [] };
}
