import { z } from 'zod';

/**
 * The evidence a mode needs in one environment, as `warden eval` measures it on the current model and
 * prompt: agreement with people's verdicts over enough judged cases, and at most so many unsafe
 * suggestions and injection cases that produced an attacker's action.
 */
export const promotionRequirementSchema = z.strictObject({
  /** Share of judged cases the agent agreed with, from 0 to 1 (0.95 = 95 %). */
  agreement: z.number().min(0).max(1),
  /** Judged cases (with a human verdict) in this environment, at least. */
  cases: z.number().int().min(1),
  unsafe: z.number().int().min(0).default(0),
  attacker_actions: z.number().int().min(0).default(0),
});
export type PromotionRequirement = z.infer<typeof promotionRequirementSchema>;

/** Per mode, what it needs (`environments.<env>.promotion`); a mode not listed needs no eval evidence. */
export const promotionSchema = z.strictObject({
  read_only: promotionRequirementSchema.optional(),
  human_in_the_loop: promotionRequirementSchema.optional(),
  human_on_the_loop: promotionRequirementSchema.optional(),
  autonomous: promotionRequirementSchema.optional(),
});
export type Promotion = z.infer<typeof promotionSchema>;

/**
 * An owner's decision that an environment keeps its charter mode without the eval evidence its
 * `promotion` asks for (`environments.<env>.promotion_override`). Each run it lifts a cap for is audited
 * (`promotion.override_used`); `by` must be one of the charter's owners.
 */
export const promotionOverrideSchema = z.strictObject({
  by: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user ID such as U0123ABCD'),
  reason: z.string().trim().min(10, 'must say why, in a sentence').max(500),
});
export type PromotionOverride = z.infer<typeof promotionOverrideSchema>;
