import { z } from 'zod';
import type { PagerDutyNote } from '../../systems/pagerduty.client.ts';
import { defineTool, type ToolContext, type ToolResult } from '../define.ts';
import { incidentIdSchema } from '../sandbox/world.schemas.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { fromOf, noteMarker, pagerDutyIncidentFor } from './pagerduty.calls.ts';

const input = z.strictObject({
  incident_id: incidentIdSchema.describe('The PagerDuty incident, as Warden names it, such as INC-1234.'),
  content: z
    .string()
    .min(1)
    .max(20_000)
    .refine((text) => !text.includes('[warden:'), 'must not contain "[warden:", which Warden adds itself')
    .describe('The note: the run summary, what was found, what was approved and done (1–20,000 characters).'),
});

/** Adds a note to a PagerDuty incident, sent From the person who approved it. */
export const addIncidentNoteInfo = {
  name: 'add_incident_note',
  description:
    "Add a note to a PagerDuty incident in the target environment (the run's findings, the actions people approved). PagerDuty records it as written by the person who approved it.",
  input,
  kind: 'write',
  risk: 'low',
  reversible: false,
  idempotent: true,
} as const;

type NoteArgs = z.infer<typeof input>;

/** Builds add_incident_note: at most one note per proposal (the note ends with the proposal's key). */
export function createAddIncidentNoteTool(deps: ToolDeps) {
  const placed = (args: NoteArgs, context: ToolContext) =>
    pagerDutyIncidentFor({ tool: addIncidentNoteInfo.name, incidentId: args.incident_id, context, deps });
  const findOwn = async (args: NoteArgs, context: ToolContext) => {
    const { client, incident } = await placed(args, context);
    const marker = noteMarker(context.idempotencyKey);
    const notes = await client.notes({ incidentId: incident.id, signal: context.signal });
    return { client, incident, existing: notes.find((n) => n.content.endsWith(marker)) ?? null };
  };
  return defineTool<NoteArgs>({
    ...addIncidentNoteInfo,
    execute: async (args, context) => {
      const { client, incident, existing } = await findOwn(args, context);
      if (existing) return deps.redactor.redactValue(noted({ args, note: existing, created: false }));
      const from = await fromOf({ client, context, deps });
      const note = await client.addNote({
        incidentId: incident.id,
        content: `${args.content}\n\n${noteMarker(context.idempotencyKey)}`,
        from,
        signal: context.signal,
      });
      return deps.redactor.redactValue(noted({ args, note, created: true, from }));
    },
    verify: async (args, context) => {
      const { existing } = await findOwn(args, context);
      return existing
        ? {
            effect: 'present',
            result: deps.redactor.redactValue(noted({ args, note: existing, created: false })),
          }
        : { effect: 'absent', summary: `No note on ${args.incident_id} carries this proposal's key.` };
    },
  });
}

function noted({
  args,
  note,
  created,
  from,
}: {
  args: NoteArgs;
  note: PagerDutyNote;
  created: boolean;
  from?: string;
}): ToolResult {
  return {
    summary: `${created ? 'Added' : 'Already added'} a note to ${args.incident_id} (note ${note.id})`,
    data: { incidentId: args.incident_id, noteId: note.id, created, ...(from ? { from } : {}) },
  };
}

/** add_incident_note's entry in the tool catalog. */
export const addIncidentNoteTool = toolSpec({
  info: addIncidentNoteInfo,
  system: 'pagerduty',
  worlds: ['catalog'],
  build: createAddIncidentNoteTool,
});
