import { z } from 'zod';
import { newId } from '../../shared/ids.ts';
import { toolSpec } from '../tool-spec.ts';
import { type SandboxToolDeps, sandboxWriteTool } from './sandbox.calls.ts';
import { insertTicket } from './sandbox.repository.ts';
import { SEVERITIES } from './world.schemas.ts';

const input = z.strictObject({
  title: z.string().trim().min(5).max(200).describe('A one-line title for the ticket.'),
  body: z
    .string()
    .trim()
    .min(1)
    .max(10_000)
    .describe('What happened, the evidence, and what should be done next.'),
  severity: z.enum(SEVERITIES).describe('sev1 (most urgent) to sev4 (least).'),
});

/** Files a ticket for the incident the run is about. Low risk and reversible: a ticket can be closed. */
export const createTicketInfo = {
  name: 'create_ticket',
  description:
    'File a ticket in the issue tracker for the incident being handled, with a title, a body and a severity. Linked to the incident and the target environment.',
  input,
  kind: 'write',
  risk: 'low',
  reversible: true,
  idempotent: true,
} as const;

/** Builds create_ticket with its executor. */
export function createCreateTicketTool(deps: SandboxToolDeps) {
  return sandboxWriteTool({
    info: createTicketInfo,
    deps,
    write: async ({ args, context, tx, now }) => {
      const ticket = {
        id: newId('tkt'),
        title: args.title,
        body: args.body,
        severity: args.severity,
        incidentId: context.incidentId,
        environment: context.environment,
        createdBy: context.agent,
        idempotencyKey: context.idempotencyKey,
        createdAt: now,
      };
      await insertTicket({ db: tx, ticket });
      return {
        summary: `Filed ticket ${ticket.id} (${ticket.severity}): ${ticket.title}`,
        data: {
          ticket: {
            id: ticket.id,
            title: ticket.title,
            severity: ticket.severity,
            incidentId: ticket.incidentId,
            environment: ticket.environment,
            createdBy: ticket.createdBy,
            createdAt: now.toISOString(),
          },
        },
      };
    },
  });
}

/** createTicket's entry in the tool catalog. */
export const createTicketTool = toolSpec({
  info: createTicketInfo,
  system: 'sandbox',
  // In the catalog world create_ticket files in the service's Jira project (tools/jira/create-ticket.tool.ts).
  worlds: ['sandbox'],
  build: createCreateTicketTool,
});
