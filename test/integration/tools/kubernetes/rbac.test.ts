import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRoute } from '../../../../src/dev/kubernetes-emulator/routes.ts';
import { KUBERNETES_TOOLS } from '../../../../src/tools/kubernetes/kubernetes.tools.ts';
import { BROKER_TOKEN, type KubernetesWorld, rejection, startKubernetesWorld } from './kubernetes.fixture.ts';
import { shippedIdentities, shippedManifests } from './rbac.fixture.ts';

// The shipped RBAC (deploy/kubernetes/) is the emulator's only source of rules here: every tool must work
// with it, and everything it grants must be used by some tool.

let w: KubernetesWorld;
beforeAll(async () => {
  w = await startKubernetesWorld({ identities: shippedIdentities({ brokerToken: BROKER_TOKEN }) });
});
afterAll(async () => {
  expect(w.emulator.errors()).toEqual([]);
  await w.close();
});

const userOf = (identity: ReturnType<typeof shippedIdentities>[number]) =>
  'serviceAccount' in identity
    ? `system:serviceaccount:${identity.serviceAccount.namespace}:${identity.serviceAccount.name}`
    : identity.user;

/** Each permission the manifests grant: user, verb, resource, namespace and object name ('*': any). */
function granted(): string[] {
  return shippedIdentities({ brokerToken: BROKER_TOKEN }).flatMap((identity) =>
    identity.rules.flatMap((rule) =>
      rule.verbs.flatMap((verb) =>
        rule.resources.flatMap((resource) =>
          rule.namespaces.flatMap((namespace) =>
            (rule.resourceNames ?? ['*']).map(
              (name) => `${userOf(identity)} ${verb} ${resource} ${namespace}/${name}`,
            ),
          ),
        ),
      ),
    ),
  );
}

/** Each permission the recorded requests used, in the same shape (with the object name). */
function used(): Set<string> {
  const out = new Set<string>();
  for (const request of w.emulator.requests()) {
    const route = resolveRoute({ method: request.method, url: new URL(request.path, 'http://emulator') });
    if (!route || !request.user) continue;
    const resource = route.subresource ? `${route.resource}/${route.subresource}` : route.resource;
    out.add(`${request.user} ${route.verb} ${resource} ${route.namespace}/${route.name || '*'}`);
  }
  return out;
}

describe('the shipped RBAC', () => {
  it('names the namespace, the three accounts and only Roles (no cluster-wide rights)', () => {
    const kinds = shippedManifests().map((m) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Namespace//warden',
        'ServiceAccount/warden/warden-broker',
        'ServiceAccount/warden/warden-reader',
        'ServiceAccount/warden/warden-executor',
        'Role/warden/warden-broker',
        'Role/shop/warden-reader',
        'Role/shop/warden-executor',
      ]),
    );
    expect(kinds.filter((k) => k.startsWith('Cluster'))).toEqual([]);
  });

  it('is enough for every tool, and each permission it grants is used by one', async () => {
    const pod = w.shop.deployments.checkout?.pods[2] ?? '';
    const calls: [string, Record<string, unknown>][] = [
      ['list_pods', { service: 'checkout' }],
      ['get_deployment', { service: 'checkout' }],
      ['get_rollout_history', { service: 'checkout' }],
      ['list_events', { service: 'checkout', warnings_only: true }],
      ['get_pod_logs', { service: 'checkout', pod, previous: true }],
      ['list_hpas', { service: 'checkout' }],
      ['rollout_restart', { service: 'checkout' }],
      ['scale_deployment', { service: 'checkout', replicas: 4 }],
      ['rollout_undo', { service: 'checkout', to_revision: 1 }],
    ];
    expect(calls.map(([tool]) => tool).sort()).toEqual(KUBERNETES_TOOLS.map((t) => t.info.name).sort());
    for (const [tool, args] of calls) await expect(w.call(tool, args), tool).resolves.toBeDefined();
    // A retry of one proposal finds its lease Secret already there and reads it (the broker's `get`).
    const first = await w.access.session({ proposalId: 'prp_rbac_retry', access: 'read' });
    const second = await w.access.session({ proposalId: 'prp_rbac_retry', access: 'read' });
    await second.close();
    await first.close();
    await expect(w.access.ping()).resolves.toContain('the broker may mint tokens');

    expect(w.emulator.requests().filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
    const usedNow = used();
    const unused = granted().filter((g) => {
      const [user, verb, resource, where] = g.split(' ');
      const [namespace, name] = (where ?? '').split('/');
      return ![...usedNow].some((u) => {
        const [uUser, uVerb, uResource, uWhere] = u.split(' ');
        const [uNamespace, uName] = (uWhere ?? '').split('/');
        return (
          uUser === user &&
          uVerb === verb &&
          uResource === resource &&
          uNamespace === namespace &&
          (name === '*' || uName === name)
        );
      });
    });
    expect(unused).toEqual([]);
    expect(w.leases()).toEqual([]);
  });

  it('does not let the reader write, the executor read logs, or the broker touch workloads', async () => {
    const read = await w.access.session({ proposalId: 'prp_rbac_reader', access: 'read' });
    const write = await w.access.session({ proposalId: 'prp_rbac_writer', access: 'write' });
    try {
      const patch = await rejection(
        read.apps.patchNamespacedDeploymentScale({ namespace: 'shop', name: 'checkout', body: [] }),
      );
      expect(patch.code).toBe('system.forbidden');
      expect(patch.message).toContain('cannot patch resource "deployments/scale"');
      const logs = await rejection(
        write.core.readNamespacedPodLog({
          namespace: 'shop',
          name: w.shop.deployments.checkout?.pods[0] ?? '',
        }),
      );
      expect(logs.code).toBe('system.forbidden');
      const secrets = await rejection(
        read.core.readNamespacedSecret({ namespace: 'shop', name: 'payments-api' }),
      );
      expect(secrets.code).toBe('system.forbidden');
    } finally {
      await read.close();
      await write.close();
    }
    const kc = new KubeConfig();
    kc.loadFromOptions(w.emulator.kubeConfigOptions({ token: BROKER_TOKEN }));
    await expect(
      kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: 'shop', name: 'checkout' }),
    ).rejects.toMatchObject({ code: 403 });
  });
});
