import { z } from 'zod';
import { READ_TOOL } from '../define.ts';
import { toolSpec } from '../tool-spec.ts';
import { type SandboxToolDeps, sandboxReadTool } from './sandbox.calls.ts';
import { unknownService } from './sandbox.errors.ts';
import { podCounts } from './sandbox.model.ts';
import { findService, type ServiceRow } from './sandbox.repository.ts';
import { serviceNameSchema } from './world.schemas.ts';

const input = z.strictObject({
  service: serviceNameSchema.describe('The service to inspect, such as checkout.'),
});

/** Reads a service's health in the call's environment: version, pods, error rate, latency. */
export const getServiceHealthInfo = {
  name: 'get_service_health',
  description:
    'Read the current health of a service in the target environment: running version, replicas, each pod with its status and restart count, error rate and p99 latency.',
  input,
  ...READ_TOOL,
} as const;

/** Builds get_service_health with its executor. */
export function createGetServiceHealthTool(deps: SandboxToolDeps) {
  return sandboxReadTool({
    info: getServiceHealthInfo,
    deps,
    read: async ({ args, context }) => {
      const service = await findService({
        db: deps.db,
        environment: context.environment,
        name: args.service,
      });
      if (!service) throw unknownService({ service: args.service, environment: context.environment });
      return { summary: describeService(service), data: { service: serviceView(service) } };
    },
  });
}

/** A service as tools report it. */
export function serviceView(service: ServiceRow) {
  const counts = podCounts(service.pods);
  return {
    name: service.name,
    environment: service.environment,
    version: service.version,
    replicas: service.replicas,
    health: service.health,
    errorRate: service.errorRate,
    latencyP99Ms: service.latencyP99Ms,
    runningPods: counts.running,
    crashLoopingPods: counts.crashLooping,
    pods: service.pods.map((p) => ({ name: p.name, status: p.status, restarts: p.restarts })),
    updatedAt: service.updatedAt.toISOString(),
  };
}

/** One line for people: `checkout in production: degraded, v2.14.0, 4/6 pods running, …`. */
export function describeService(service: ServiceRow): string {
  const counts = podCounts(service.pods);
  const crashing = counts.crashLooping > 0 ? ` (${counts.crashLooping} in CrashLoopBackOff)` : '';
  return `${service.name} in ${service.environment}: ${service.health}, ${service.version}, ${counts.running}/${service.replicas} pods running${crashing}, error rate ${(service.errorRate * 100).toFixed(1)}%, p99 ${service.latencyP99Ms} ms`;
}

/** getServiceHealth's entry in the tool catalog. */
export const getServiceHealthTool = toolSpec({
  info: getServiceHealthInfo,
  system: 'sandbox',
  worlds: ['sandbox'],
  build: createGetServiceHealthTool,
});
