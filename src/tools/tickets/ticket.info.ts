import type { z } from 'zod';
import { catalogServiceSchema } from '../catalog.calls.ts';
import type { ToolContext } from '../define.ts';
import { createTicketInfo as sandboxInfo } from '../sandbox/create-ticket.tool.ts';

// The sandbox's create_ticket with the service added: the catalog says which tracker files it.
const input = sandboxInfo.input.extend({
  service: catalogServiceSchema.describe('The service the ticket is about, such as checkout.'),
});
export type TicketArgs = z.infer<typeof input>;

/** The catalog world's create_ticket, over Jira and GitHub issues (`create-ticket.tool.ts` picks one). */
export const catalogTicketInfo = {
  ...sandboxInfo,
  description:
    "File a ticket for the incident being handled in the service's issue tracker (its Jira project or its GitHub repository's issues, as the service catalog says), with a title, a body and a severity. Linked to the incident and the target environment.",
  input,
} as const;

/** The line every filed ticket ends with, naming the agent, severity, environment, incident and proposal. */
export function ticketFooter({ args, context }: { args: TicketArgs; context: ToolContext }): string {
  const incident = context.incidentId ? `, incident ${context.incidentId}` : '';
  return `Filed by Warden (agent ${context.agent}, ${args.severity}, ${context.environment}${incident}, proposal ${context.proposalId}).`;
}
