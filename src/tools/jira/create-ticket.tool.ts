import type { ServiceTarget } from '../../catalog/catalog.ts';
import { keyedQueue } from '../../shared/keyed-queue.ts';
import type { JiraClient } from '../../systems/jira.client.ts';
import { textToAdf } from '../../systems/jira.schemas.ts';
import { catalogTool } from '../catalog.calls.ts';
import type { ToolResult } from '../define.ts';
import { catalogTicketInfo, ticketFooter } from '../tickets/ticket.info.ts';
import type { ToolDeps } from '../tool-spec.ts';
import { jiraFor, jqlString, ticketLabel } from './jira.calls.ts';

/** The issue type tickets are filed as. */
export const TICKET_ISSUE_TYPE = 'Task';

/** Builds the catalog world's create_ticket (Jira) with its executor. */
export function createJiraCreateTicketTool(deps: ToolDeps) {
  const oneAtATime = keyedQueue();
  return catalogTool({
    info: catalogTicketInfo,
    deps,
    verify: async ({ context, target }) => {
      const { client, project } = jiraFor({ target, deps });
      const found = await findByKey({ client, project, key: context.idempotencyKey, signal: context.signal });
      return found
        ? { effect: 'present', result: filed({ target, project, client, key: found.key, created: false }) }
        : { effect: 'absent', summary: `No issue in ${project} carries this proposal's label.` };
    },
    run: ({ args, context, target }) =>
      oneAtATime(context.idempotencyKey, async () => {
        const { client, project } = jiraFor({ target, deps });
        const key = context.idempotencyKey;
        const signal = context.signal;
        const existing = await findByKey({ client, project, key, signal });
        if (existing) return filed({ target, project, client, key: existing.key, created: false });
        const created = await client.createIssue({
          project,
          issueType: TICKET_ISSUE_TYPE,
          summary: args.title,
          description: textToAdf(`${args.body}\n\n${ticketFooter({ args, context })}`),
          labels: ['warden', ticketLabel(key), args.severity],
          signal,
        });
        return filed({ target, project, client, key: created.key, created: true });
      }),
  });
}

async function findByKey({
  client,
  project,
  key,
  signal,
}: {
  client: JiraClient;
  project: string;
  key: string;
  signal: AbortSignal;
}) {
  const jql = `project = ${jqlString(project)} AND labels = ${jqlString(ticketLabel(key))} ORDER BY created ASC`;
  const found = await client.search({ jql, maxResults: 5, signal });
  return found.find((issue) => issue.key.startsWith(`${project}-`)) ?? null;
}

function filed({
  target,
  project,
  client,
  key,
  created,
}: {
  target: ServiceTarget;
  project: string;
  client: JiraClient;
  key: string;
  created: boolean;
}): ToolResult {
  return {
    summary: `${created ? 'Filed' : 'Already filed'} ${key} in ${project} for ${target.service} in ${target.environment}`,
    data: {
      service: target.service,
      environment: target.environment,
      ticket: { key, project, url: `${client.site}/browse/${key}` },
      created,
    },
  };
}
