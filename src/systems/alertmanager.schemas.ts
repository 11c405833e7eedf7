import { z } from 'zod';

// The parts of Alertmanager's API v2 answers that Warden reads; anything else is ignored.

const labelSet = z.record(z.string(), z.string());

export const alertSchema = z.object({
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  fingerprint: z.string(),
  status: z.object({
    state: z.enum(['unprocessed', 'active', 'suppressed']),
    silencedBy: z.array(z.string()).default([]),
    inhibitedBy: z.array(z.string()).default([]),
  }),
});
export const alertsAnswerSchema = z.array(alertSchema);
export type Alert = z.infer<typeof alertSchema>;

export const silenceMatcherSchema = z.object({
  name: z.string(),
  value: z.string(),
  isRegex: z.boolean(),
  /** Absent in answers of Alertmanager before 0.22: equality then. */
  isEqual: z.boolean().default(true),
});
export type SilenceMatcher = z.infer<typeof silenceMatcherSchema>;

export const silenceSchema = z.object({
  id: z.string(),
  status: z.object({ state: z.enum(['expired', 'active', 'pending']) }),
  matchers: z.array(silenceMatcherSchema),
  startsAt: z.string(),
  endsAt: z.string(),
  updatedAt: z.string().optional(),
  createdBy: z.string(),
  comment: z.string(),
});
export const silencesAnswerSchema = z.array(silenceSchema);
export type Silence = z.infer<typeof silenceSchema>;

export const createdSilenceSchema = z.object({ silenceID: z.string().min(1) });

export const statusAnswerSchema = z.object({
  versionInfo: z.object({ version: z.string() }),
  cluster: z.object({ status: z.string() }),
});
