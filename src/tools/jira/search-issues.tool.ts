import { z } from 'zod';
import { wardenError } from '../../shared/errors.ts';
import { catalogServiceSchema, catalogTool } from '../catalog.calls.ts';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { issueView, jiraFor, jqlString } from './jira.calls.ts';

/** Words only: no JQL or Lucene operators, quotes or wildcards can reach the query. */
const searchText = z
  .string()
  .trim()
  .min(2)
  .max(100)
  .regex(/^[\p{L}\p{N} ._']+$/u, "must be plain words (letters, digits, spaces, . _ ')");

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service whose Jira project to search, such as checkout.'),
  text: searchText.optional().describe('Words to find in the summary, description or comments.'),
  status_category: z
    .enum(['To Do', 'In Progress', 'Done'])
    .optional()
    .describe('Only issues in this status category.'),
  label: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a Jira label')
    .optional()
    .describe('Only issues with this label.'),
  created_within_days: z
    .number()
    .int()
    .min(1)
    .max(90)
    .optional()
    .describe('Only issues created in the last N days (1–90).'),
  max_results: z
    .number()
    .int()
    .min(1)
    .max(50)
    .optional()
    .describe('How many issues, newest first (default 20).'),
});

/** Longest JQL Warden sends; the structured arguments keep it far below. */
export const MAX_JQL_LENGTH = 1_000;

/** The JQL of a search: always `project = <catalog's project>` first, every value quoted. Pure. */
export function searchJql({ project, args }: { project: string; args: z.infer<typeof input> }): string {
  const clauses = [`project = ${jqlString(project)}`];
  if (args.text) clauses.push(`text ~ ${jqlString(args.text)}`);
  if (args.status_category) clauses.push(`statusCategory = ${jqlString(args.status_category)}`);
  if (args.label) clauses.push(`labels = ${jqlString(args.label)}`);
  if (args.created_within_days) clauses.push(`created >= -${args.created_within_days}d`);
  const jql = `${clauses.join(' AND ')} ORDER BY created DESC`;
  if (jql.length > MAX_JQL_LENGTH)
    throw wardenError({
      code: 'jira.query_too_long',
      message: `The search is too long (${jql.length} characters).`,
    });
  return jql;
}

/** Searches a service's Jira project by structured filters (never raw JQL). */
export const searchIssuesInfo = {
  name: 'search_issues',
  description:
    "Search the Jira issues of a service's ticket project in the target environment, newest first (at most 50): by words, status category, label and age. Only that project is ever searched.",
  input,
  ...READ_TOOL,
} as const;

/** Builds search_issues with its executor. */
export function createSearchIssuesTool(deps: ToolDeps) {
  return catalogTool({
    info: searchIssuesInfo,
    deps,
    run: async ({ args, context, target }) => {
      const { client, project } = jiraFor({ target, deps });
      const jql = searchJql({ project, args });
      const issues = await client.search({ jql, maxResults: args.max_results ?? 20, signal: context.signal });
      // Jira answers only what the JQL selects; an issue of another project would mean the query escaped.
      const views = issues
        .filter((i) => i.key.startsWith(`${project}-`))
        .map((i) => issueView(i, client.site));
      return {
        summary: views.length
          ? `${views.length} issue${views.length === 1 ? '' : 's'} in ${project}: ${views
              .slice(0, 5)
              .map((v) => v.key)
              .join(', ')}`
          : `No issue in ${project} matches`,
        data: { service: target.service, environment: target.environment, project, jql, issues: views },
      };
    },
  });
}

/** searchIssues's entry in the tool catalog. */
export const searchIssuesTool = toolSpec({
  info: searchIssuesInfo,
  system: 'jira',
  worlds: ['catalog'],
  build: createSearchIssuesTool,
});
