import { z } from 'zod';

// The parts of PagerDuty's REST API v2 answers that Warden reads; anything else is ignored. Every text
// field is whoever raised the incident's text: untrusted, capped here and redacted by the tools.

const text = (max: number) => z.string().transform((s) => s.slice(0, max));
const reference = z.object({ id: z.string(), summary: text(200).optional() });

export const incidentSchema = z.object({
  id: z.string(),
  incident_number: z.number().int(),
  title: text(500),
  description: text(4_000).optional(),
  status: z.enum(['triggered', 'acknowledged', 'resolved']),
  urgency: z.string().optional(),
  created_at: z.string(),
  html_url: z.string().optional(),
  service: reference,
  priority: reference.nullable().optional(),
});
export type PagerDutyIncident = z.infer<typeof incidentSchema>;

export const incidentAnswerSchema = z.object({ incident: incidentSchema });

export const alertSchema = z.object({
  id: z.string(),
  status: z.string(),
  summary: text(500).optional(),
  created_at: z.string(),
  severity: z.string().optional(),
  body: z.object({ details: z.unknown().optional() }).nullable().optional(),
});
export type PagerDutyAlert = z.infer<typeof alertSchema>;
export const alertsAnswerSchema = z.object({ alerts: z.array(alertSchema), more: z.boolean().optional() });

export const logEntrySchema = z.object({
  id: z.string(),
  type: z.string(),
  summary: text(500).optional(),
  created_at: z.string(),
});
export type PagerDutyLogEntry = z.infer<typeof logEntrySchema>;
export const logEntriesAnswerSchema = z.object({ log_entries: z.array(logEntrySchema) });

export const noteSchema = z.object({
  id: z.string(),
  content: z.string(),
  created_at: z.string(),
  user: reference.nullable().optional(),
});
export type PagerDutyNote = z.infer<typeof noteSchema>;
export const notesAnswerSchema = z.object({ notes: z.array(noteSchema) });
export const noteAnswerSchema = z.object({ note: noteSchema });

export const abilitiesAnswerSchema = z.object({ abilities: z.array(z.string()) });

/** One on-call of `GET /oncalls?include[]=users`: the user object in full (with its login e-mail). */
export const oncallSchema = z.object({
  escalation_policy: reference,
  escalation_level: z.number().int(),
  user: z.object({
    id: z.string(),
    name: text(200).optional(),
    summary: text(200).optional(),
    email: z.string(),
  }),
  start: z.string().nullable().optional(),
  end: z.string().nullable().optional(),
});
export type PagerDutyOncall = z.infer<typeof oncallSchema>;
export const oncallsAnswerSchema = z.object({ oncalls: z.array(oncallSchema), more: z.boolean().optional() });
