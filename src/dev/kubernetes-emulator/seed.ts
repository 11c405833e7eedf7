import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { DeploymentController } from './controller.ts';
import { buildEvent, type InvolvedObject } from './events.ts';
import type { LogLine, LogStore } from './logs.ts';
import { kubeTime, randomSuffix } from './names.ts';
import { buildPod } from './pod-factory.ts';
import { buildReplicaSet } from './replica-sets.ts';
import type {
  SeedDeployment,
  SeedEvent,
  SeedLogLine,
  SeedPod,
  SeedResult,
  SeedRevision,
  SeedSpec,
} from './seed.types.ts';
import { buildHpa } from './seed-hpa.ts';
import { type ClusterStore, keyOf } from './store.ts';

type SeedDeps = { store: ClusterStore; logs: LogStore; controller: DeploymentController };

const DAY_MS = 24 * 60 * 60 * 1000;

function toLines(lines: SeedLogLine[], now: number): LogLine[] {
  return lines.map((line, index) =>
    typeof line === 'string'
      ? { at: now - (lines.length - 1 - index) * 1000, text: line }
      : { at: now - line.secondsAgo * 1000, text: line.text },
  );
}

function templateFor(
  spec: SeedDeployment,
  revision: SeedRevision,
  labels: Record<string, string>,
): IPodTemplateSpec {
  const containers =
    typeof revision === 'string' ? [{ name: spec.name, image: revision }] : revision.containers;
  const annotations = typeof revision === 'string' ? undefined : revision.annotations;
  return { metadata: { labels, ...(annotations ? { annotations } : {}) }, spec: { containers } };
}

function seedEvents(
  store: ClusterStore,
  involved: InvolvedObject,
  events: SeedEvent[] | undefined,
  now: number,
): void {
  for (const event of events ?? []) {
    const names = { name: involved.name, namespace: involved.namespace, uid: involved.uid };
    store.create(
      'Event',
      buildEvent({
        involved: { ...involved, ...(event.fieldPath ? { fieldPath: event.fieldPath } : {}) },
        type: event.type,
        reason: event.reason,
        message: typeof event.message === 'string' ? event.message : event.message(names),
        component: event.component ?? (involved.kind === 'Pod' ? 'kubelet' : 'deployment-controller'),
        count: event.count ?? 1,
        firstAt: now - (event.firstSecondsAgo ?? 600) * 1000,
        lastAt: now - (event.lastSecondsAgo ?? 0) * 1000,
      }),
    );
  }
}

function seedDeployment(deps: SeedDeps, namespace: string, spec: SeedDeployment, now: number) {
  const { store, logs, controller } = deps;
  if (spec.revisions.length === 0)
    throw new Error(`kubernetes emulator seed: deployment ${spec.name} has no revisions`);
  const labels = spec.labels ?? { app: spec.name };
  const replicas = spec.replicas ?? 1;
  const templates = spec.revisions.map((r) => templateFor(spec, r, labels));
  const deploymentAt = now - (templates.length + 1) * DAY_MS;
  const deployment = store.create('Deployment', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: spec.name,
      namespace,
      labels,
      generation: templates.length,
      creationTimestamp: kubeTime(deploymentAt),
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: templates.at(-1) ?? {},
      strategy: spec.strategy ?? {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
  } satisfies IDeployment);
  const owner = keyOf(deployment);
  const replicaSets = templates.map((template, index) => {
    const current = index === templates.length - 1;
    const built = buildReplicaSet({
      deployment: { ...deployment, spec: { ...deployment.spec, template } } as IDeployment,
      revision: index + 1,
    });
    const at = kubeTime(deploymentAt + (index + 1) * DAY_MS);
    return store.create('ReplicaSet', {
      ...built,
      metadata: { ...built.metadata, creationTimestamp: at },
      spec: { ...built.spec, selector: built.spec?.selector ?? {}, replicas: current ? replicas : 0 },
    });
  });
  const currentRs = replicaSets.at(-1);
  if (!currentRs) throw new Error('unreachable: a deployment has at least one revision');
  const rsKey = keyOf(currentRs);
  const podSpecs: SeedPod[] = spec.pods ?? Array.from({ length: replicas }, () => ({}));
  const pods = podSpecs.map((podSpec) => {
    const pod = store.create(
      'Pod',
      buildPod({
        namespace,
        name: `${rsKey.name}-${randomSuffix()}`,
        template: currentRs.spec?.template ?? {},
        owner: { name: rsKey.name, uid: rsKey.uid },
        health: podSpec.health ?? { state: 'running' },
        now: now - 60 * 60 * 1000,
      }),
    );
    const podKey = keyOf(pod);
    for (const [container, lines] of Object.entries(podSpec.logs ?? {}))
      logs.write({ namespace, pod: podKey.name, container, lines: toLines(lines, now) });
    for (const [container, lines] of Object.entries(podSpec.previousLogs ?? {}))
      logs.write({
        namespace,
        pod: podKey.name,
        container,
        lines: toLines(lines, now - 60_000),
        previous: true,
      });
    seedEvents(store, { kind: 'Pod', apiVersion: 'v1', ...podKey }, podSpec.events, now);
    return podKey.name;
  });

  const involved = { kind: 'Deployment', apiVersion: 'apps/v1', ...owner };
  const history: SeedEvent[] = replicaSets.flatMap((rs, index) => {
    const name = keyOf(rs).name;
    const previous = replicaSets[index - 1];
    const up = {
      type: 'Normal' as const,
      reason: 'ScalingReplicaSet',
      lastSecondsAgo: (replicaSets.length - index) * 3600,
    };
    return [
      { ...up, message: `Scaled up replica set ${name} from 0 to ${replicas}` },
      ...(previous
        ? [{ ...up, message: `Scaled down replica set ${keyOf(previous).name} from ${replicas} to 0` }]
        : []),
    ];
  });
  seedEvents(store, involved, [...history, ...(spec.events ?? [])], now);
  controller.reconcile({ namespace, name: spec.name });
  return { uid: owner.uid, replicaSets: replicaSets.map((rs) => keyOf(rs).name), pods };
}

/**
 * Fills a namespace with real-looking objects: Deployments with their ReplicaSet history and pods
 * (statuses, logs, events), HPAs, service accounts and secrets. Everything passes the schema checks.
 */
export function seedCluster(deps: SeedDeps, spec: SeedSpec): SeedResult {
  const { store } = deps;
  const now = store.clock();
  const { namespace } = spec;
  store.addNamespace(namespace);
  for (const name of spec.serviceAccounts ?? [])
    if (!store.get('ServiceAccount', namespace, name))
      store.create('ServiceAccount', {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace },
      });
  for (const secret of spec.secrets ?? [])
    store.create('Secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret.name, namespace },
      type: secret.type ?? 'Opaque',
      data: Object.fromEntries(
        Object.entries(secret.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
    });
  const deployments: SeedResult['deployments'] = {};
  for (const deployment of spec.deployments ?? [])
    deployments[deployment.name] = seedDeployment(deps, namespace, deployment, now);
  for (const hpa of spec.hpas ?? [])
    store.create('HorizontalPodAutoscaler', buildHpa({ namespace, hpa, now }));
  return { namespace, deployments };
}
