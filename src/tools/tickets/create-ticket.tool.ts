import type { EnvironmentSpec } from '../../catalog/catalog.schemas.ts';
import { defineTool, type ToolContext, type ToolDefinition } from '../define.ts';
import { createGitHubCreateTicketTool } from '../github/create-issue.tool.ts';
import { createJiraCreateTicketTool } from '../jira/create-ticket.tool.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { catalogTicketInfo } from './ticket.info.ts';

/** Where create_ticket files for a service here: `tickets` when set, else Jira when named, else GitHub. */
export function ticketSystemOf(systems: EnvironmentSpec): 'jira' | 'github' | null {
  if (systems.tickets) return systems.tickets;
  if (systems.jira) return 'jira';
  return systems.github ? 'github' : null;
}

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
    ...catalogTicketInfo,
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
  info: catalogTicketInfo,
  system: 'tickets',
  worlds: ['catalog'],
  build: createCatalogCreateTicketTool,
});
