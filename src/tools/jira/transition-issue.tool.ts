import { z } from 'zod';
import { wardenError } from '../../shared/errors.ts';
import { catalogServiceSchema, catalogTool } from '../catalog.calls.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { issueKeySchema, jiraFor, readIssueInProject } from './jira.calls.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service whose Jira project holds the issue, such as checkout.'),
  issue_key: issueKeySchema.describe('The issue to move, such as OPS-123.'),
  to_status: z
    .string()
    .trim()
    .min(1)
    .max(60)
    .describe('The status to move it to, as the workflow names it, such as In Progress or Done.'),
});

/** Moves an issue of a service's project through its workflow; already there is a no-op. */
export const transitionIssueInfo = {
  name: 'transition_issue',
  description:
    "Move a Jira issue of a service's ticket project in the target environment to another status of its workflow (such as In Progress or Done). An issue already in that status is left as it is.",
  input,
  kind: 'write',
  risk: 'low',
  reversible: false,
  idempotent: true,
} as const;

/** Builds transition_issue with its executor. */
export function createTransitionIssueTool(deps: ToolDeps) {
  return catalogTool({
    info: transitionIssueInfo,
    deps,
    run: async ({ args, context, target }) => {
      const { client, project } = jiraFor({ target, deps });
      const signal = context.signal;
      const key = args.issue_key;
      const wanted = args.to_status.toLowerCase();
      const issue = await readIssueInProject({ client, key, project, target, signal });
      const from = issue.fields.status?.name ?? null;
      const base = { service: target.service, environment: target.environment, issueKey: key, from };
      if (from?.toLowerCase() === wanted)
        return {
          summary: `${key} is already ${from}; nothing to do`,
          data: { ...base, to: from, moved: false },
        };
      const transitions = await client.transitions({ key, signal });
      const step = transitions.find(
        (t) => t.to.name.toLowerCase() === wanted || t.name.toLowerCase() === wanted,
      );
      if (!step)
        throw wardenError({
          code: 'jira.no_transition',
          message: `${key} cannot move from ${from ?? 'its status'} to ${args.to_status}; it can move to ${
            transitions.map((t) => t.to.name).join(', ') || 'nothing'
          }.`,
          details: { issueKey: key, toStatus: args.to_status },
        });
      await client.transition({ key, id: step.id, signal });
      return {
        summary: `Moved ${key} from ${from ?? '?'} to ${step.to.name}`,
        data: { ...base, to: step.to.name, moved: true },
      };
    },
  });
}

/** transitionIssue's entry in the tool catalog. */
export const transitionIssueTool = toolSpec({
  info: transitionIssueInfo,
  system: 'jira',
  worlds: ['catalog'],
  build: createTransitionIssueTool,
});
