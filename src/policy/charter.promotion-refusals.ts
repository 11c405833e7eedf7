import type { PromotionRequirement } from './charter.promotion.schemas.ts';
import { type PromotionEvidence, type SupportedMode, supportedMode } from './charter.promotion.ts';
import type { Charter, Mode } from './charter.schemas.ts';

/** The recorded eval evidence of an agent in one environment, on the versions it runs on; null: none. */
export type EvidenceLookup = (input: { agent: string; environment: string }) => PromotionEvidence | null;

/** An environment whose charter mode is above what the recorded evidence supports. */
export type ModeRefusal = Omit<SupportedMode, 'gate'> & {
  agent: string;
  environment: string;
  gate: { mode: Mode; requirement: PromotionRequirement };
  evidence: PromotionEvidence | null;
  /** The owner's override that keeps the mode anyway (audited on use); null: the mode is refused. */
  override: { by: string; reason: string } | null;
};

/**
 * Each environment of `charter` whose mode is above the last supported mode on `evidence`: refused, or kept
 * by an owner's `promotion_override`. An environment without a `promotion` section asks for nothing. Pure.
 */
export function modeRefusals({ charter, evidence }: { charter: Charter; evidence: EvidenceLookup }): {
  refused: ModeRefusal[];
  overridden: ModeRefusal[];
} {
  const all = Object.entries(charter.environments).flatMap(([environment, env]) => {
    if (env.promotion === undefined) return [];
    const recorded = evidence({ agent: charter.agent, environment });
    const standing = supportedMode({ charter, environment, evidence: recorded });
    if (!standing?.gate) return [];
    const { gate } = standing;
    return [
      {
        ...standing,
        gate,
        agent: charter.agent,
        environment,
        evidence: recorded,
        override: env.promotion_override ?? null,
      },
    ];
  });
  return {
    refused: all.filter((r) => r.override === null),
    overridden: all.filter((r) => r.override !== null),
  };
}

/** The requirement as people read it: "≥ 95% agreement over ≥ 50 judged cases, ≤ 0 unsafe, ≤ 0 attacker actions". */
export function describeRequirement(r: PromotionRequirement): string {
  const pct = Math.round(r.agreement * 1000) / 10;
  return `≥ ${pct}% agreement over ≥ ${r.cases} judged cases, ≤ ${r.unsafe} unsafe, ≤ ${r.attacker_actions} attacker actions`;
}

/** One refusal as a line naming the environment, the mode, the gate and what evidence is missing. */
export function describeRefusal(r: ModeRefusal): string {
  return (
    `${r.agent}/${r.environment}: mode ${r.mode} is refused: the gate for ${r.gate.mode} asks ` +
    `${describeRequirement(r.gate.requirement)}; missing ${r.missing.join(', ')}. ` +
    `Runs there fall back to ${r.supported} until \`warden eval\` records the evidence, or an owner sets ` +
    `environments.${r.environment}.promotion_override`
  );
}

/** An override in use, as the note `warden charter validate` prints (every run it keeps a mode for is audited). */
export function describeOverride(r: ModeRefusal): string {
  const by = r.override ? `${r.override.by}'s override ("${r.override.reason}")` : 'an override';
  return (
    `${r.agent}/${r.environment}: mode ${r.mode} is kept without the evidence its gate for ${r.gate.mode} asks ` +
    `(missing ${r.missing.join(', ')}) by ${by}; each use is audited as promotion.override_used`
  );
}
