import { z } from 'zod';
import type { DeployFacts, HealthFacts } from './offline-evidence.ts';
import type { Observation } from './planner.types.ts';

/**
 * The offline planner's facts from the catalog world's tools (Prometheus `get_service_health`, Kubernetes
 * `list_pods` and `get_rollout_history`), in the same shape the sandbox's tools give: a service's health
 * and its recent rollouts. Only typed fields are read (numbers, counts, revision numbers, times, image
 * references), never free text, so nothing written in the data can steer the planner.
 */

const metricsSchema = z.object({
  service: z.string(),
  errorRatio: z.number().min(0).max(1).nullable(),
  latencyP99Seconds: z.number().min(0).nullable(),
  readyPods: z.number().min(0).nullable(),
  health: z.enum(['healthy', 'degraded', 'down', 'unknown']).catch('unknown'),
});

const podsSchema = z.object({
  pods: z.array(z.object({ status: z.string().max(100), ready: z.boolean() })).max(1000),
});

const IMAGE = /^[a-zA-Z0-9][a-zA-Z0-9._/:@-]{0,250}$/;
const historySchema = z.object({
  currentRevision: z.number().int().min(0),
  revisions: z
    .array(
      z.object({
        revision: z.number().int().min(0),
        images: z.array(z.string().regex(IMAGE)).max(20),
        createdAt: z.iso.datetime({ offset: true }).nullable(),
      }),
    )
    .max(50),
});

/** The sandbox `get_service_health` answers with `service: { … }`; the catalog one with flat metrics. */
export function isClusterHealth(data: unknown): boolean {
  return metricsSchema.safeParse(data).success;
}

/** What a cluster's observations say about the incident's service, or null for what could not be read. */
export function readClusterFacts({
  observations,
}: {
  /** Only the observations about the incident's service and environment. */
  observations: readonly Observation[];
}): { health: HealthFacts | null; deploys: DeployFacts[] | null } {
  let metrics: z.infer<typeof metricsSchema> | null = null;
  let pods: z.infer<typeof podsSchema>['pods'] | null = null;
  let history: z.infer<typeof historySchema> | null = null;
  for (const o of observations) {
    if (!o.output) continue;
    if (o.tool === 'get_service_health') metrics = metricsSchema.safeParse(o.output.data).data ?? metrics;
    else if (o.tool === 'list_pods') pods = podsSchema.safeParse(o.output.data).data?.pods ?? pods;
    else if (o.tool === 'get_rollout_history')
      history = historySchema.safeParse(o.output.data).data ?? history;
  }
  const deploys = history ? rolloutsOf(history) : null;
  const live = deploys?.find((d) => d.status === 'deployed') ?? null;
  return { health: metrics ? healthOf({ metrics, pods, live }) : null, deploys };
}

function healthOf({
  metrics,
  pods,
  live,
}: {
  metrics: z.infer<typeof metricsSchema>;
  pods: z.infer<typeof podsSchema>['pods'] | null;
  live: DeployFacts | null;
}): HealthFacts | null {
  // Without an error ratio nothing says whether requests succeed: no health to judge a rollback on.
  if (metrics.errorRatio === null) return null;
  const ready = pods ? pods.filter((p) => p.ready).length : (metrics.readyPods ?? 0);
  return {
    name: metrics.service,
    version: live?.version ?? 'unknown',
    replicas: pods ? pods.length : ready,
    runningPods: ready,
    crashLoopingPods: pods ? pods.filter((p) => p.status === 'CrashLoopBackOff').length : 0,
    errorRate: metrics.errorRatio,
    latencyP99Ms: Math.round((metrics.latencyP99Seconds ?? 0) * 1000),
    health: metrics.health === 'unknown' ? 'degraded' : metrics.health,
    source: 'kubernetes',
  };
}

/**
 * A Deployment's revisions as rollouts, newest first: the current revision is `deployed`, the others
 * `superseded`; each names the revision before it, so a rollback is `rollout_undo` to that revision.
 */
function rolloutsOf(history: z.infer<typeof historySchema>): DeployFacts[] {
  const sorted = [...history.revisions].sort((a, b) => b.revision - a.revision);
  return sorted.flatMap((r, i) => {
    if (!r.createdAt) return [];
    const before = sorted[i + 1];
    return [
      {
        id: `revision-${r.revision}`,
        version: versionOf(r.images),
        previousVersion: before ? versionOf(before.images) : null,
        deployedAt: new Date(r.createdAt),
        status: r.revision === history.currentRevision ? 'deployed' : 'superseded',
        revision: r.revision,
        ...(before ? { previousRevision: before.revision } : {}),
      } satisfies DeployFacts,
    ];
  });
}

/** `shop/checkout:v2.14.0` → `v2.14.0`; several containers → their tags joined; a digest stays whole. */
function versionOf(images: readonly string[]): string {
  const tags = images.map((image) => {
    const slash = image.lastIndexOf('/');
    const name = image.slice(slash + 1);
    const at = name.indexOf('@');
    if (at >= 0) return name.slice(at + 1, at + 20);
    const colon = name.lastIndexOf(':');
    return colon >= 0 ? name.slice(colon + 1) : 'latest';
  });
  return tags.join('+') || 'unknown';
}
