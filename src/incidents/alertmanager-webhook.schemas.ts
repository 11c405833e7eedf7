import { z } from 'zod';

// Alertmanager's webhook body (payload version 4). Everything in it is untrusted: whoever holds the bearer
// token can send anything, and annotations are free text written by whoever wrote the alerting rule.
// Unknown fields are dropped; sizes are bounded (the body itself is capped at 1 MiB before parsing).

/** The most alerts one notification may carry (Alertmanager's own `max_alerts` truncates earlier). */
export const MAX_ALERTS = 2_000;
const MAX_LABELS = 128;
const MAX_LABEL_VALUE = 4_096;
/** Annotations are prose: a longer one is cut, not refused. */
const MAX_ANNOTATION = 8_192;

const labelName = z.string().min(1).max(256);
const labels = z
  .record(labelName, z.string().max(MAX_LABEL_VALUE))
  .refine((l) => Object.keys(l).length <= MAX_LABELS, `must have at most ${MAX_LABELS} labels`);
const annotations = z
  .record(
    labelName,
    z.string().transform((s) => s.slice(0, MAX_ANNOTATION)),
  )
  .refine((a) => Object.keys(a).length <= MAX_LABELS, `must have at most ${MAX_LABELS} annotations`);
const status = z.enum(['firing', 'resolved']);
const time = z.string().max(64);

export const webhookAlertSchema = z.object({
  status,
  labels,
  annotations: annotations.default({}),
  startsAt: time,
  endsAt: time.default(''),
  generatorURL: z.string().max(2_048).default(''),
  fingerprint: z.string().max(64).default(''),
});
export type WebhookAlert = z.infer<typeof webhookAlertSchema>;

export const alertmanagerWebhookSchema = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  groupKey: z.string().min(1).max(8_192),
  truncatedAlerts: z.number().int().min(0).default(0),
  status,
  receiver: z.string().max(256),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: annotations.default({}),
  externalURL: z.string().max(2_048).default(''),
  alerts: z.array(webhookAlertSchema).min(1).max(MAX_ALERTS),
});
export type AlertmanagerNotification = z.infer<typeof alertmanagerWebhookSchema>;

/** The notification, or one sentence saying what is wrong with it (never echoing its content). */
export function parseAlertmanagerWebhook(
  body: unknown,
): { ok: true; notification: AlertmanagerNotification } | { ok: false; message: string } {
  const parsed = alertmanagerWebhookSchema.safeParse(body);
  if (parsed.success) return { ok: true, notification: parsed.data };
  const issue = parsed.error.issues[0];
  // Label names in the path are the sender's text: shown only as safe characters, short.
  const path = (issue?.path ?? []).slice(0, 6).map((p) =>
    String(p)
      .replace(/[^\w-]/g, '?')
      .slice(0, 40),
  );
  const where = path.length > 0 ? path.join('.') : 'body';
  return {
    ok: false,
    message: `Not an Alertmanager webhook (version 4): ${where} ${issue?.message ?? 'is invalid'}.`,
  };
}
