import { type Charter, MODES } from './charter.schemas.ts';

/**
 * What `warden charter validate` says about promotion gates (`environments.<env>.promotion`): each
 * environment whose mode, or a mode below it, asks for eval evidence is held to the evidence recorded on
 * the model and prompt a run has, or kept by an owner's override. A note, not a failure: the evidence lives
 * in the database, and runs fall back on their own (see `src/evals/promotion.gate.ts`). Pure.
 */
export function promotionNotes(charter: Charter): string[] {
  return Object.entries(charter.environments).flatMap(([name, env]) => {
    const promotion = env.promotion ?? {};
    const gated = MODES.slice(1, MODES.indexOf(env.mode) + 1).filter(
      (mode) => mode !== 'shadow' && promotion[mode] !== undefined,
    );
    if (gated.length === 0) return [];
    const where = `${charter.agent}/${name}: mode ${env.mode}`;
    const override = env.promotion_override;
    if (override)
      return [
        `${where} is kept without eval evidence by ${override.by}'s override ("${override.reason}"); each run records it`,
      ];
    return [
      `${where} needs eval evidence (${gated.join(', ')}): runs fall back to the highest mode the latest recorded \`warden eval\` on their model and prompt supports`,
    ];
  });
}
