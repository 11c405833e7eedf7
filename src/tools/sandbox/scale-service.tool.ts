import { z } from 'zod';
import { toolSpec } from '../tool-spec.ts';
import { describeService, serviceView } from './get-service-health.tool.ts';
import { type SandboxToolDeps, sandboxWriteTool } from './sandbox.calls.ts';
import { unknownService } from './sandbox.errors.ts';
import { computeHealth, scalePods } from './sandbox.model.ts';
import { findService, updateService } from './sandbox.repository.ts';
import { serviceNameSchema } from './world.schemas.ts';

const input = z.strictObject({
  service: serviceNameSchema.describe('The service to scale, such as checkout.'),
  replicas: z.number().int().min(0).max(50).describe('The number of pods to run (0–50).'),
});

/** Sets a service's replica count. Reversible: scale back to the old count. */
export const scaleServiceInfo = {
  name: 'scale_service',
  description:
    'Set the number of replicas (pods) of a service in the target environment. New pods start Running; scaling down removes unhealthy pods first.',
  input,
  kind: 'write',
  risk: 'medium',
  reversible: true,
  idempotent: true,
} as const;

/** Builds scale_service with its executor. */
export function createScaleServiceTool(deps: SandboxToolDeps) {
  return sandboxWriteTool({
    info: scaleServiceInfo,
    deps,
    write: async ({ args, context, tx, now }) => {
      const { environment } = context;
      const before = await findService({ db: tx, environment, name: args.service, lock: true });
      if (!before) throw unknownService({ service: args.service, environment });
      const pods = scalePods({
        service: before.name,
        version: before.version,
        pods: before.pods,
        replicas: args.replicas,
      });
      const health = computeHealth({ pods, replicas: args.replicas, errorRate: before.errorRate });
      const after = { ...before, replicas: args.replicas, pods, health, updatedAt: now };
      await updateService({
        db: tx,
        environment,
        name: before.name,
        set: { replicas: args.replicas, pods, health, updatedAt: now },
      });
      return {
        summary: `Scaled from ${before.replicas} to ${args.replicas} replicas: ${describeService(after)}`,
        data: {
          replicasBefore: before.replicas,
          replicasAfter: args.replicas,
          service: serviceView(after),
          // The inverse, offered as *Undo* on the result card (a new proposal through the guard).
          ...(before.replicas === args.replicas
            ? {}
            : { undo: { tool: 'scale_service', args: { service: before.name, replicas: before.replicas } } }),
        },
      };
    },
  });
}

/** scaleService's entry in the tool catalog. */
export const scaleServiceTool = toolSpec({
  info: scaleServiceInfo,
  system: 'sandbox',
  worlds: ['sandbox'],
  build: createScaleServiceTool,
});
