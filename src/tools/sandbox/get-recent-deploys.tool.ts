import { z } from 'zod';
import { plural } from '../../shared/plural.ts';
import { READ_TOOL } from '../define.ts';
import { toolSpec } from '../tool-spec.ts';
import { type SandboxToolDeps, sandboxReadTool } from './sandbox.calls.ts';
import { unknownService } from './sandbox.errors.ts';
import { type DeployRow, findService, listDeploys } from './sandbox.repository.ts';
import { serviceNameSchema } from './world.schemas.ts';

const input = z.strictObject({
  service: serviceNameSchema.describe('The service whose deploys to list, such as checkout.'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(5)
    .describe('How many deploys to return, newest first (1–20).'),
});

/** Lists a service's most recent deploys in the call's environment. */
export const getRecentDeploysInfo = {
  name: 'get_recent_deploys',
  description:
    'List the most recent deploys of a service in the target environment, newest first: version, the version it replaced, who deployed it, when, and whether it was rolled back.',
  input,
  ...READ_TOOL,
} as const;

/** Builds get_recent_deploys with its executor. */
export function createGetRecentDeploysTool(deps: SandboxToolDeps) {
  return sandboxReadTool({
    info: getRecentDeploysInfo,
    deps,
    read: async ({ args, context }) => {
      const { environment } = context;
      const service = await findService({ db: deps.db, environment, name: args.service });
      if (!service) throw unknownService({ service: args.service, environment });
      const deploys = await listDeploys({
        db: deps.db,
        environment,
        service: args.service,
        limit: args.limit,
      });
      const latest = deploys[0];
      return {
        summary: latest
          ? `${plural(deploys.length, 'recent deploy')} of ${args.service} in ${environment}; latest ${latest.version} at ${latest.deployedAt.toISOString()} by ${latest.deployedBy}`
          : `No deploys of ${args.service} in ${environment}`,
        data: {
          service: args.service,
          environment,
          currentVersion: service.version,
          deploys: deploys.map(deployView),
        },
      };
    },
  });
}

/** A deploy as tools report it. */
export function deployView(deploy: DeployRow) {
  return {
    id: deploy.id,
    version: deploy.version,
    previousVersion: deploy.previousVersion,
    deployedBy: deploy.deployedBy,
    deployedAt: deploy.deployedAt.toISOString(),
    status: deploy.status,
  };
}

/** getRecentDeploys's entry in the tool catalog. */
export const getRecentDeploysTool = toolSpec({
  info: getRecentDeploysInfo,
  system: 'sandbox',
  worlds: ['sandbox'],
  build: createGetRecentDeploysTool,
});
