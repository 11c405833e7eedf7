import { z } from 'zod';

/**
 * Who is on call now for a PagerDuty escalation policy (the catalog's `pagerduty` connection names the
 * account), resolved when someone clicks: PagerDuty's on-calls → their e-mails → Slack users.
 */
export const oncallSourceSchema = z.strictObject({
  connection: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must name a pagerduty connection of the catalog'),
  escalation_policy: z
    .string()
    .regex(/^P[A-Z0-9]{5,19}$/, 'must be a PagerDuty escalation policy ID such as PESC123'),
  /** The escalation levels whose on-call people belong; absent: level 1 only. */
  levels: z.array(z.number().int().min(1).max(20)).min(1).optional(),
});
export type OncallSource = z.infer<typeof oncallSourceSchema>;
