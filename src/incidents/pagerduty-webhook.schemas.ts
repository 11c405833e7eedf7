import { z } from 'zod';

// PagerDuty's v3 webhook payload: one event per delivery. Only what Warden reads is kept; every text in it
// is untrusted (whoever raised the incident wrote its title).

const reference = z.object({ id: z.string().min(1).max(64) });

export const pagerDutyEventSchema = z.object({
  event: z.object({
    id: z.string().min(1).max(128),
    event_type: z.string().min(1).max(128),
    resource_type: z.string().max(64),
    occurred_at: z.iso.datetime({ offset: true }),
    data: z.object({
      id: z.string().max(64).optional(),
      number: z.number().int().positive().optional(),
      title: z
        .string()
        .transform((s) => s.slice(0, 200))
        .optional(),
      service: reference.optional(),
    }),
  }),
});
export type PagerDutyEvent = z.infer<typeof pagerDutyEventSchema>;

/** The event, or one sentence saying what is wrong with it (never echoing its content). */
export function parsePagerDutyEvent(
  body: unknown,
): { ok: true; event: PagerDutyEvent['event'] } | { ok: false; message: string } {
  const parsed = pagerDutyEventSchema.safeParse(body);
  if (parsed.success) return { ok: true, event: parsed.data.event };
  const issue = parsed.error.issues[0];
  const where = (issue?.path ?? []).slice(0, 4).map((p) =>
    String(p)
      .replace(/[^\w-]/g, '?')
      .slice(0, 40),
  );
  return {
    ok: false,
    message: `Not a PagerDuty v3 webhook: ${where.length ? where.join('.') : 'body'} ${issue?.message ?? 'is invalid'}.`,
  };
}
