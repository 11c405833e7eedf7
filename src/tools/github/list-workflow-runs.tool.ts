import { z } from 'zod';
import { clipAtWord } from '../../shared/clip.ts';
import { workflowRunsSchema } from '../../systems/github.schemas.ts';
import { catalogServiceSchema } from '../catalog.calls.ts';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { githubTool } from './github.calls.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service whose repository to read, such as checkout.'),
  workflow: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}\.ya?ml$/, 'must be a workflow file name such as deploy.yml')
    .optional()
    .describe('Only the runs of this workflow file, such as deploy.yml; all workflows when absent.'),
  branch: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}$/, 'must be a branch name')
    .optional()
    .describe('Only runs on this branch.'),
  limit: z.number().int().min(1).max(20).default(10).describe('How many runs, newest first (1–20).'),
});

/** Lists the service's recent GitHub Actions workflow runs. */
export const listWorkflowRunsInfo = {
  name: 'list_workflow_runs',
  description:
    "List recent GitHub Actions workflow runs of a service's repository, newest first: workflow, title, event, branch, commit, status and conclusion. Filter by workflow file or branch.",
  input,
  ...READ_TOOL,
} as const;

/** Builds list_workflow_runs: a token with actions:read on the service's repository alone. */
export function createListWorkflowRunsTool(deps: ToolDeps) {
  return githubTool({
    info: listWorkflowRunsInfo,
    deps,
    permissions: { actions: 'read' },
    run: async ({ args, target, repository, github }) => {
      const filters = { per_page: args.limit, ...(args.branch ? { branch: args.branch } : {}) };
      const found = args.workflow
        ? await github.call(
            'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
            { workflow_id: args.workflow, ...filters },
            workflowRunsSchema,
          )
        : await github.call('GET /repos/{owner}/{repo}/actions/runs', filters, workflowRunsSchema);
      const runs = found.workflow_runs.slice(0, args.limit).map((r) => ({
        id: r.id,
        workflow: r.name ?? null,
        title: clipAtWord(r.display_title, 160),
        event: r.event,
        branch: r.head_branch,
        sha: r.head_sha.slice(0, 12),
        status: r.status,
        conclusion: r.conclusion,
        number: r.run_number,
        createdAt: r.created_at,
        url: r.html_url,
      }));
      const failed = runs.filter((r) => r.conclusion === 'failure').length;
      return {
        summary: `${runs.length} recent workflow run${runs.length === 1 ? '' : 's'} in ${repository.repository}${args.workflow ? ` (${args.workflow})` : ''}, ${failed} failed`,
        data: {
          service: target.service,
          repository: repository.repository,
          totalCount: found.total_count,
          runs,
        },
      };
    },
  });
}

/** list_workflow_runs' entry in the tool catalog. */
export const listWorkflowRunsTool = toolSpec({
  info: listWorkflowRunsInfo,
  system: 'github',
  worlds: ['catalog'],
  build: createListWorkflowRunsTool,
});
