import { z } from 'zod';
import { wardenError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { toolSpec } from '../tool-spec.ts';
import { deployView } from './get-recent-deploys.tool.ts';
import { describeService, serviceView } from './get-service-health.tool.ts';
import { type SandboxToolDeps, sandboxWriteTool } from './sandbox.calls.ts';
import { unknownService } from './sandbox.errors.ts';
import { computeHealth, FAULTY_METRICS, healedMetrics, rolloutPods } from './sandbox.model.ts';
import {
  deployedVersions,
  findService,
  insertDeploy,
  isFaultyVersion,
  markDeployRolledBack,
  updateService,
} from './sandbox.repository.ts';
import { serviceNameSchema, versionSchema } from './world.schemas.ts';

const input = z.strictObject({
  service: serviceNameSchema.describe('The service to roll back, such as checkout.'),
  to_version: versionSchema.describe('A version previously deployed to this environment, such as v2.13.4.'),
});

/** Rolls a service back to a version it ran before. High risk and not reversible by Warden. */
export const rollbackDeployInfo = {
  name: 'rollback_deploy',
  description:
    'Roll a service in the target environment back to a version previously deployed there. Replaces every pod and records a new deploy; the current deploy is marked rolled back.',
  input,
  kind: 'write',
  risk: 'high',
  reversible: false,
  idempotent: true,
} as const;

/** Builds rollback_deploy with its executor. */
export function createRollbackDeployTool(deps: SandboxToolDeps) {
  return sandboxWriteTool({
    info: rollbackDeployInfo,
    deps,
    write: async ({ args, context, tx, now }) => {
      const { environment } = context;
      const before = await findService({ db: tx, environment, name: args.service, lock: true });
      if (!before) throw unknownService({ service: args.service, environment });
      if (before.version === args.to_version)
        throw wardenError({
          code: 'sandbox.rollback_same_version',
          message: `${args.service} in ${environment} already runs ${args.to_version}.`,
          details: { service: args.service, environment, version: args.to_version },
        });
      const known = await deployedVersions({ db: tx, environment, service: before.name });
      if (!known.has(args.to_version))
        throw wardenError({
          code: 'sandbox.unknown_version',
          message: `${args.to_version} was never deployed to ${args.service} in ${environment}.`,
          details: { service: args.service, environment, version: args.to_version, known: [...known] },
        });

      const rolledBackDeployId = await markDeployRolledBack({
        db: tx,
        environment,
        service: before.name,
        version: before.version,
      });
      const deploy = {
        id: newId('dep'),
        environment,
        service: before.name,
        version: args.to_version,
        previousVersion: before.version,
        deployedBy: `warden:${context.agent}`,
        deployedAt: now,
        status: 'deployed',
      };
      await insertDeploy({ db: tx, deploy });
      const faulty = await isFaultyVersion({
        db: tx,
        environment,
        service: before.name,
        version: args.to_version,
      });
      const pods = rolloutPods({
        service: before.name,
        version: args.to_version,
        replicas: before.replicas,
        faulty,
      });
      const metrics = faulty
        ? {
            errorRate: Math.max(before.errorRate, FAULTY_METRICS.errorRate),
            latencyP99Ms: Math.max(before.latencyP99Ms, FAULTY_METRICS.latencyP99Ms),
          }
        : healedMetrics(before);
      const health = computeHealth({ pods, replicas: before.replicas, errorRate: metrics.errorRate });
      const set = { version: args.to_version, pods, health, ...metrics, updatedAt: now };
      await updateService({ db: tx, environment, name: before.name, set });
      const after = { ...before, ...set };
      return {
        summary: `Rolled ${args.service} in ${environment} back from ${before.version} to ${args.to_version}: ${describeService(after)}`,
        data: {
          fromVersion: before.version,
          toVersion: args.to_version,
          rolledBackDeployId,
          deploy: deployView(deploy),
          service: serviceView(after),
        },
      };
    },
  });
}

/** rollbackDeploy's entry in the tool catalog. */
export const rollbackDeployTool = toolSpec({
  info: rollbackDeployInfo,
  system: 'sandbox',
  worlds: ['sandbox'],
  build: createRollbackDeployTool,
});
