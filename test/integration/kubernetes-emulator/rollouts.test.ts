import {
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKOUT_IMAGES } from '../../../src/dev/kubernetes-emulator/index.ts';
import { failure, startKubernetes } from './harness.ts';

let s: Awaited<ReturnType<typeof startKubernetes>>;
beforeEach(async () => {
  s = await startKubernetes();
});
afterEach(async () => {
  expect(s.emulator.errors()).toEqual([]);
  await s.emulator.close();
});

const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const revision = (o: V1Deployment | V1ReplicaSet) =>
  o.metadata?.annotations?.['deployment.kubernetes.io/revision'];
const readCheckout = () => s.admin.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' });
const checkoutReplicaSets = async () =>
  (await s.admin.apps.listNamespacedReplicaSet({ namespace: 'shop', labelSelector: 'app=checkout' })).items;
const checkoutPods = async () =>
  (await s.admin.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=checkout' })).items;

/** What `kubectl rollout restart` sends. */
const restart = (at = '2025-06-01T12:00:00Z') =>
  s.admin.apps.patchNamespacedDeployment(
    {
      namespace: 'shop',
      name: 'checkout',
      body: {
        spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } },
      },
    },
    strategic,
  );

describe('rollout restart (strategic merge patch of the template annotations)', () => {
  it('bumps the generation, creates ReplicaSet revision 3 and replaces the pods', async () => {
    const before = await readCheckout();
    const oldPods = (await checkoutPods()).map((p) => p.metadata?.name);
    const patched = await restart();

    expect(patched.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
    expect(revision(patched)).toBe('3');
    expect(patched.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(
      '2025-06-01T12:00:00Z',
    );
    expect(patched.spec?.template.spec?.containers[0]?.image).toBe(CHECKOUT_IMAGES.current);
    expect(patched.status).toMatchObject({
      observedGeneration: patched.metadata?.generation,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(patched.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe(
      'NewReplicaSetAvailable',
    );
    expect(patched.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');

    const replicaSets = await checkoutReplicaSets();
    expect(replicaSets.map(revision).sort()).toEqual(['1', '2', '3']);
    const newest = replicaSets.find((rs) => revision(rs) === '3');
    expect(newest?.spec?.replicas).toBe(3);
    expect(newest?.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(
      '2025-06-01T12:00:00Z',
    );
    expect(replicaSets.find((rs) => revision(rs) === '2')?.spec?.replicas).toBe(0);

    const pods = await checkoutPods();
    expect(pods).toHaveLength(3);
    expect(pods.some((p) => oldPods.includes(p.metadata?.name))).toBe(false);
    expect(pods.every((p) => p.metadata?.ownerReferences?.[0]?.name === newest?.metadata?.name)).toBe(true);
    const events = await s.admin.core.listNamespacedEvent({
      namespace: 'shop',
      fieldSelector: 'involvedObject.name=checkout',
    });
    expect(events.items.map((e) => e.message)).toContain(
      `Scaled up replica set ${newest?.metadata?.name} from 0 to 3`,
    );
  });

  it('merges containers by name under a strategic merge patch, but replaces the list under a merge patch', async () => {
    const env = [{ name: 'LOG_LEVEL', value: 'debug' }];
    const containers = [{ name: 'checkout', env }];
    const strategicResult = await s.admin.apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'checkout', body: { spec: { template: { spec: { containers } } } } },
      strategic,
    );
    expect(strategicResult.spec?.template.spec?.containers).toEqual([
      { name: 'checkout', image: CHECKOUT_IMAGES.current, env },
    ]);
    const mergeResult = await s.admin.apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'checkout', body: { spec: { template: { spec: { containers } } } } },
      merge,
    );
    expect(mergeResult.spec?.template.spec?.containers).toEqual([{ name: 'checkout', env }]);
  });

  it('lets a test make a new pod crash, and the Deployment loses availability', async () => {
    await restart();
    const [first] = await checkoutPods();
    s.emulator.setPodHealth({
      namespace: 'shop',
      name: first?.metadata?.name ?? '',
      health: { state: 'crashloop', restartCount: 2 },
    });
    const after = await readCheckout();
    expect(after.status).toMatchObject({ replicas: 3, readyReplicas: 2, unavailableReplicas: 1 });
    expect(after.status?.conditions?.find((c) => c.type === 'Available')?.reason).toBe(
      'MinimumReplicasUnavailable',
    );
  });

  it('holds a rollout in progress until the test completes it', async () => {
    s.emulator.rollouts.hold({ namespace: 'shop', name: 'checkout' });
    const held = await restart();
    expect(held.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('ReplicaSetUpdated');
    expect(held.status).toMatchObject({ replicas: 6, updatedReplicas: 3, readyReplicas: 2 });
    expect(held.status?.readyReplicas).toBeLessThan(held.status?.updatedReplicas ?? 0);

    s.emulator.rollouts.complete({ namespace: 'shop', name: 'checkout' });
    const done = await readCheckout();
    expect(done.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3 });
    expect(done.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe(
      'NewReplicaSetAvailable',
    );
  });

  it('leaves generation and revision alone for a metadata-only patch, and stores nothing on dryRun=All', async () => {
    const before = await readCheckout();
    const labelled = await s.admin.apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'checkout', body: { metadata: { labels: { team: 'payments' } } } },
      merge,
    );
    expect(labelled.metadata?.generation).toBe(before.metadata?.generation);
    expect(labelled.metadata?.resourceVersion).not.toBe(before.metadata?.resourceVersion);
    expect(revision(labelled)).toBe('2');

    const dry = await s.admin.apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'checkout', dryRun: 'All', body: { spec: { replicas: 9 } } },
      merge,
    );
    expect(dry.spec?.replicas).toBe(9);
    expect((await readCheckout()).spec?.replicas).toBe(3);
  });
});

describe('scale subresource', () => {
  it('scales through PUT and PATCH of the Scale without a new revision, removing unready pods first', async () => {
    const scale = await s.admin.apps.readNamespacedDeploymentScale({ namespace: 'shop', name: 'checkout' });
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { replicas: 3, selector: 'app=checkout' },
    });
    const before = await readCheckout();

    const up = await s.admin.apps.replaceNamespacedDeploymentScale({
      namespace: 'shop',
      name: 'checkout',
      body: { ...scale, spec: { replicas: 5 } },
    });
    expect(up.spec?.replicas).toBe(5);
    const scaled = await readCheckout();
    expect(scaled.spec?.replicas).toBe(5);
    expect(scaled.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
    expect(revision(scaled)).toBe('2');
    expect(await checkoutPods()).toHaveLength(5);
    expect(await checkoutReplicaSets()).toHaveLength(2);

    const crashing = s.shop.deployments.checkout!.pods[2];
    await s.admin.apps.patchNamespacedDeploymentScale(
      { namespace: 'shop', name: 'checkout', body: { spec: { replicas: 2 } } },
      merge,
    );
    const remaining = (await checkoutPods()).map((p) => p.metadata?.name);
    expect(remaining).toHaveLength(2);
    expect(remaining).not.toContain(crashing);
    expect((await readCheckout()).status).toMatchObject({ replicas: 2, readyReplicas: 2 });
  });

  it('refuses a Scale carrying a stale resourceVersion with 409 Conflict', async () => {
    const scale = await s.admin.apps.readNamespacedDeploymentScale({ namespace: 'shop', name: 'checkout' });
    await s.admin.apps.patchNamespacedDeploymentScale(
      { namespace: 'shop', name: 'checkout', body: { spec: { replicas: 4 } } },
      merge,
    );
    const { code, status } = await failure(
      s.admin.apps.replaceNamespacedDeploymentScale({
        namespace: 'shop',
        name: 'checkout',
        body: { ...scale, spec: { replicas: 1 } },
      }),
    );
    expect(code).toBe(409);
    expect(status).toMatchObject({
      reason: 'Conflict',
      details: { name: 'checkout', group: 'apps', kind: 'deployments' },
    });
    expect((await readCheckout()).spec?.replicas).toBe(4);
  });
});

describe('rollout undo (JSON patch of the template from an older ReplicaSet)', () => {
  it('re-uses the revision-1 ReplicaSet and renumbers it 3, as the controller does', async () => {
    const [oldName] = s.shop.deployments.checkout!.replicaSets;
    const old = await s.admin.apps.readNamespacedReplicaSet({ namespace: 'shop', name: oldName! });
    const template = structuredClone(old.spec?.template);
    delete template?.metadata?.labels?.['pod-template-hash'];
    // kubectl rollout undo sends a JSON patch, which is also the client's default patch type.
    const undone = await s.admin.apps.patchNamespacedDeployment({
      namespace: 'shop',
      name: 'checkout',
      // The ReplicaSet's own annotations, less the controller's, replace the Deployment's (none here).
      body: [
        { op: 'replace', path: '/spec/template', value: template },
        { op: 'replace', path: '/metadata/annotations', value: {} },
      ],
    });

    expect(revision(undone)).toBe('3');
    expect(undone.spec?.template.spec?.containers[0]?.image).toBe(CHECKOUT_IMAGES.previous);
    const replicaSets = await checkoutReplicaSets();
    expect(replicaSets).toHaveLength(2);
    const reused = replicaSets.find((rs) => rs.metadata?.name === oldName);
    expect(revision(reused!)).toBe('3');
    expect(reused?.metadata?.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(reused?.spec?.replicas).toBe(3);
    const pods = await checkoutPods();
    expect(pods.map((p) => p.spec?.containers[0]?.image)).toEqual(Array(3).fill(CHECKOUT_IMAGES.previous));
  });

  it('answers 422 when a JSON patch operation does not apply', async () => {
    const { code } = await failure(
      s.admin.apps.patchNamespacedDeployment({
        namespace: 'shop',
        name: 'checkout',
        body: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }],
      }),
    );
    expect(code).toBe(422);
  });
});
