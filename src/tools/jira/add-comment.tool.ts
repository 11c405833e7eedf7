import { z } from 'zod';
import { adfText, textToAdf } from '../../systems/jira.schemas.ts';
import { catalogServiceSchema, catalogTool } from '../catalog.calls.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { commentMarker, issueKeySchema, jiraFor, readIssueInProject } from './jira.calls.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service whose Jira project holds the issue, such as checkout.'),
  issue_key: issueKeySchema.describe('The issue to comment on, such as OPS-123.'),
  body: z.string().trim().min(1).max(5_000).describe('The comment (1–5000 characters).'),
});

/** Adds a comment to an issue of a service's project; a retry finds the first by its marker. */
export const addCommentInfo = {
  name: 'add_comment',
  description:
    "Add a comment to a Jira issue of a service's ticket project in the target environment (evidence, progress, what was done).",
  input,
  kind: 'write',
  risk: 'low',
  reversible: false,
  idempotent: true,
} as const;

/** Builds add_comment with its executor. */
export function createAddCommentTool(deps: ToolDeps) {
  return catalogTool({
    info: addCommentInfo,
    deps,
    run: async ({ args, context, target }) => {
      const { client, project } = jiraFor({ target, deps });
      const signal = context.signal;
      const key = args.issue_key;
      await readIssueInProject({ client, key, project, target, signal });
      const marker = commentMarker(context.idempotencyKey);
      const earlier = (await client.comments({ key, signal })).find((c) => adfText(c.body).endsWith(marker));
      const id =
        earlier?.id ??
        (await client.addComment({ key, body: textToAdf(`${args.body}\n\n${marker}`), signal })).id;
      return {
        summary: `${earlier ? 'Already commented' : 'Commented'} on ${key} (comment ${id})`,
        data: {
          service: target.service,
          environment: target.environment,
          issueKey: key,
          commentId: id,
          created: !earlier,
        },
      };
    },
  });
}

/** addComment's entry in the tool catalog. */
export const addCommentTool = toolSpec({
  info: addCommentInfo,
  system: 'jira',
  worlds: ['catalog'],
  build: createAddCommentTool,
});
