import { z } from 'zod';
import { clipAtWord } from '../../shared/clip.ts';
import { deploymentSchema, deploymentStatusSchema } from '../../systems/github.schemas.ts';
import { catalogServiceSchema } from '../catalog.calls.ts';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { githubTool } from './github.calls.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service whose deployments to list, such as checkout.'),
  limit: z.number().int().min(1).max(10).default(5).describe('How many deployments, newest first (1–10).'),
});

/** Lists the service's recent GitHub deployments in the target environment, each with its latest status. */
export const listDeploymentsInfo = {
  name: 'list_deployments',
  description:
    "List the recent GitHub deployments of a service's repository to the target environment, newest first: the commit and ref deployed, who deployed it, when, and its latest status (success, failure, in_progress…). Use two refs from here with compare_commits to see what changed.",
  input,
  ...READ_TOOL,
} as const;

/** Builds list_deployments: a token with deployments:read on the service's repository alone. */
export function createListDeploymentsTool(deps: ToolDeps) {
  return githubTool({
    info: listDeploymentsInfo,
    deps,
    permissions: { deployments: 'read' },
    run: async ({ args, target, repository, github }) => {
      const environment = repository.deployment_environment ?? target.environment;
      const deployments = await github.call(
        'GET /repos/{owner}/{repo}/deployments',
        { environment, per_page: args.limit },
        z.array(deploymentSchema),
      );
      const latest = await Promise.all(
        deployments.slice(0, args.limit).map(async (d) => {
          const statuses = await github.call(
            'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
            { deployment_id: d.id, per_page: 1 },
            z.array(deploymentStatusSchema),
          );
          const status = statuses[0];
          return {
            id: d.id,
            ref: d.ref,
            sha: d.sha,
            createdAt: d.created_at,
            creator: d.creator?.login ?? null,
            description: d.description ? clipAtWord(d.description, 200) : null,
            state: status?.state ?? 'pending',
            stateAt: status?.created_at ?? null,
          };
        }),
      );
      const line = latest.map((d) => `${d.ref} (${d.sha.slice(0, 7)}) ${d.state}`).join(', ');
      return {
        summary: latest.length
          ? `${latest.length} recent deployment${latest.length === 1 ? '' : 's'} of ${repository.repository} to ${environment}: ${line}`
          : `No deployments of ${repository.repository} to ${environment}`,
        data: {
          service: target.service,
          repository: repository.repository,
          environment,
          deployments: latest,
        },
      };
    },
  });
}

/** list_deployments' entry in the tool catalog. */
export const listDeploymentsTool = toolSpec({
  info: listDeploymentsInfo,
  system: 'github',
  worlds: ['catalog'],
  build: createListDeploymentsTool,
});
