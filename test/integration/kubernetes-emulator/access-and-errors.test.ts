import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientsFor, failure, startKubernetes } from './harness.ts';

let s: Awaited<ReturnType<typeof startKubernetes>>;
beforeEach(async () => {
  s = await startKubernetes();
});
afterEach(async () => {
  expect(s.emulator.errors()).toEqual([]);
  await s.emulator.close();
});

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const restartBody = {
  spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } } },
};

describe('authentication', () => {
  it('answers 401 with an Unauthorized Status without a token or with an unknown one', async () => {
    expect((await failure(clientsFor(s.emulator).core.listNamespacedPod({ namespace: 'shop' }))).code).toBe(
      401,
    );
    expect(
      (await failure(clientsFor(s.emulator, 'forged').core.listNamespacedPod({ namespace: 'shop' }))).code,
    ).toBe(401);
    // The client drops 401 bodies; the Status itself is checked over plain HTTP.
    const response = await fetch(`${s.emulator.url}/api/v1/namespaces/shop/pods`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });
});

describe('RBAC', () => {
  it('refuses a service account a verb it lacks with the real 403 message', async () => {
    const minted = await s.admin.core.createNamespacedServiceAccountToken({
      namespace: 'warden',
      name: 'auditor',
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const auditor = clientsFor(s.emulator, minted.status?.token);
    await auditor.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' });
    const { code, status } = await failure(
      auditor.apps.patchNamespacedDeployment(
        { namespace: 'shop', name: 'checkout', body: restartBody },
        merge,
      ),
    );
    expect(code).toBe(403);
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'deployments.apps "checkout" is forbidden: User "system:serviceaccount:warden:auditor" cannot patch resource "deployments" in API group "apps" in the namespace "shop"',
      reason: 'Forbidden',
      details: { name: 'checkout', group: 'apps', kind: 'deployments' },
      code: 403,
    });
    expect(
      (await s.admin.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' })).metadata
        ?.generation,
    ).toBe(2);
  });

  it('names the subresource, and the collection for a list, as the API server does', async () => {
    const scale = await failure(
      s.reader.apps.patchNamespacedDeploymentScale(
        { namespace: 'shop', name: 'checkout', body: { spec: { replicas: 9 } } },
        merge,
      ),
    );
    expect(scale.status?.message).toBe(
      'deployments.apps "checkout" is forbidden: User "warden-reader" cannot patch resource "deployments/scale" in API group "apps" in the namespace "shop"',
    );
    const list = await failure(s.reader.core.listNamespacedPod({ namespace: 'billing' }));
    expect(list.code).toBe(403);
    expect(list.status?.message).toBe(
      'pods is forbidden: User "warden-reader" cannot list resource "pods" in API group "" in the namespace "billing"',
    );
    expect(list.status?.details).toEqual({ kind: 'pods' });
  });
});

describe('errors as Status objects', () => {
  it('answers 404 for a missing deployment', async () => {
    const { code, status } = await failure(
      s.reader.apps.readNamespacedDeployment({ namespace: 'shop', name: 'nope' }),
    );
    expect(code).toBe(404);
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
  });

  it('refuses a patch that makes the Deployment invalid with 422 and stores nothing', async () => {
    const before = await s.admin.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' });
    const wrongType = await failure(
      s.admin.apps.patchNamespacedDeployment(
        { namespace: 'shop', name: 'checkout', body: { spec: { replicas: 'three' } } },
        merge,
      ),
    );
    expect(wrongType.code).toBe(422);
    expect(wrongType.status).toMatchObject({
      reason: 'Invalid',
      details: {
        name: 'checkout',
        group: 'apps',
        kind: 'Deployment',
        causes: [{ field: 'spec.replicas', reason: 'FieldValueInvalid' }],
      },
    });
    expect(wrongType.status?.message).toBe(
      'Deployment.apps "checkout" is invalid: spec.replicas: Invalid value: "three": must be integer',
    );

    const negative = await failure(
      s.admin.apps.patchNamespacedDeployment(
        { namespace: 'shop', name: 'checkout', body: { spec: { replicas: -1 } } },
        merge,
      ),
    );
    expect(negative.status?.message).toBe(
      'Deployment.apps "checkout" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    const unnamedContainer = await failure(
      s.admin.apps.patchNamespacedDeployment(
        {
          namespace: 'shop',
          name: 'checkout',
          body: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
        },
        merge,
      ),
    );
    expect(unnamedContainer.status?.details?.causes).toEqual([
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers[0].name',
      },
    ]);
    const after = await s.admin.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('refuses an invalid Secret and an unsupported patch type', async () => {
    const badName = await failure(
      s.admin.core.createNamespacedSecret({ namespace: 'warden', body: { metadata: { name: 'Not_Valid' } } }),
    );
    expect(badName).toMatchObject({
      code: 422,
      status: { reason: 'Invalid', details: { kind: 'Secret', name: 'Not_Valid' } },
    });
    const apply = await failure(
      s.admin.apps.patchNamespacedDeployment(
        { namespace: 'shop', name: 'checkout', body: restartBody },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      ),
    );
    expect(apply).toMatchObject({ code: 415, status: { reason: 'UnsupportedMediaType' } });
  });

  it('refuses a Secret whose name is taken with 409 AlreadyExists', async () => {
    await s.admin.core.createNamespacedSecret({ namespace: 'warden', body: { metadata: { name: 'once' } } });
    const again = await failure(
      s.admin.core.createNamespacedSecret({ namespace: 'warden', body: { metadata: { name: 'once' } } }),
    );
    expect(again).toMatchObject({
      code: 409,
      status: { reason: 'AlreadyExists', message: 'secrets "once" already exists' },
    });
  });
});
