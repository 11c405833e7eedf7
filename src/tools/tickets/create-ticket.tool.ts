import type { EnvironmentSpec } from '../../catalog/catalog.schemas.ts';
import { defineTool, type ToolContext, type ToolDefinition } from '../define.ts';
import { createGitHubCreateTicketTool } from '../github/create-issue.tool.ts';
import { createJiraCreateTicketTool, createTicketInfo } from '../jira/create-ticket.tool.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';

/** Where create_ticket files for a service here: `tickets` when set, else Jira when named, else GitHub. */
export function ticketSystemOf(systems: EnvironmentSpec): 'jira' | 'github' | null {
  if (systems.tickets) return systems.tickets;
  if (systems.jira) return 'jira';
  return systems.github ? 'github' : null;
}

/** The catalog world's create_ticket: Jira issues or GitHub issues, as the catalog says for the service. */
export const catalogCreateTicketInfo = {
  ...createTicketInfo,
  description:
    "File a ticket for the incident being handled in the service's issue tracker (its Jira project or its GitHub repository's issues, as the service catalog says), with a title, a body and a severity. Linked to the incident and the target environment.",
} as const;

/**
 * Builds create_ticket over both trackers. Each call goes to the one the catalog names for the service in
 * the call's environment; that tool checks the credential, the catalog and the key itself. A service the
 * catalog does not place here goes to the Jira one, which refuses it with the catalog's reason.
 */
export function createCatalogCreateTicketTool(deps: ToolDeps): ToolDefinition {
  const jira = createJiraCreateTicketTool(deps);
  const github = createGitHubCreateTicketTool(deps);
  const pick = (args: Record<string, unknown>, context: ToolContext): ToolDefinition => {
    const service = typeof args.service === 'string' ? args.service : '';
    const found = deps.catalog.target({ service, environment: context.environment });
    return found.ok && ticketSystemOf(found.value.systems) === 'github' ? github : jira;
  };
  return defineTool<Record<string, unknown>>({
    ...catalogCreateTicketInfo,
    execute: (args, context) => pick(args, context).execute(args, context),
    verify: async (args, context) => {
      const verify = pick(args, context).verify;
      return verify
        ? verify(args, context)
        : { effect: 'unknown', summary: 'This tracker cannot tell whether the ticket was filed.' };
    },
  });
}

/** create_ticket's entry in the catalog world (the sandbox has its own). */
export const createTicketTool = toolSpec({
  info: catalogCreateTicketInfo,
  system: 'tickets',
  worlds: ['catalog'],
  build: createCatalogCreateTicketTool,
});
