import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientsFor, failure, startKubernetes } from './harness.ts';

let s: Awaited<ReturnType<typeof startKubernetes>>;
let broker: ReturnType<typeof clientsFor>;
beforeEach(async () => {
  s = await startKubernetes();
  broker = clientsFor(s.emulator, 'broker-token');
});
afterEach(async () => {
  expect(s.emulator.errors()).toEqual([]);
  await s.emulator.close();
});

/** What Warden's broker does: a Secret to bind to, then a TokenRequest for the executor bound to it. */
async function mintToken({
  expirationSeconds = 600,
  secret = 'executor-run-1',
  audiences = [] as string[],
} = {}) {
  const created = await broker.core.createNamespacedSecret({
    namespace: 'warden',
    body: { metadata: { name: secret }, type: 'Opaque' },
  });
  const request = await broker.core.createNamespacedServiceAccountToken({
    namespace: 'warden',
    name: 'executor',
    body: {
      spec: {
        audiences,
        expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: secret, uid: created.metadata?.uid },
      },
    },
  });
  return { token: request.status?.token ?? '', request, secretUid: created.metadata?.uid };
}

const readAs = (token: string) =>
  clientsFor(s.emulator, token).apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' });

describe('TokenRequest', () => {
  it('issues a JWT for the service account, bound to the Secret, that the executor can use', async () => {
    const { token, request, secretUid } = await mintToken();
    expect(token.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({
      sub: 'system:serviceaccount:warden:executor',
      aud: ['https://kubernetes.default.svc.cluster.local'],
      'kubernetes.io': { namespace: 'warden', secret: { name: 'executor-run-1', uid: secretUid } },
    });
    expect(claims.exp - claims.iat).toBe(600);
    expect(request.spec.expirationSeconds).toBe(600);
    expect(request.status?.expirationTimestamp).toEqual(new Date(claims.exp * 1000));

    const deployment = await readAs(token);
    expect(deployment.metadata?.name).toBe('checkout');
    expect(
      s.emulator.requests({ path: '/apis/apps/v1/namespaces/shop/deployments/checkout' }).at(-1)?.user,
    ).toBe('system:serviceaccount:warden:executor');
  });

  it('refuses expirationSeconds below 600 with the 422 the API server gives', async () => {
    await broker.core.createNamespacedSecret({ namespace: 'warden', body: { metadata: { name: 'short' } } });
    const { code, status } = await failure(
      broker.core.createNamespacedServiceAccountToken({
        namespace: 'warden',
        name: 'executor',
        body: {
          spec: {
            audiences: [],
            expirationSeconds: 599,
            boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'short' },
          },
        },
      }),
    );
    expect(code).toBe(422);
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      message:
        'TokenRequest.authentication.k8s.io "executor" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
      details: { name: 'executor', group: 'authentication.k8s.io', kind: 'TokenRequest' },
    });
    expect(s.emulator.issuedTokens()).toHaveLength(0);
  });

  it('stops accepting a token once its bound Secret is deleted, even if a Secret of that name returns', async () => {
    const { token } = await mintToken();
    await readAs(token);
    await broker.core.deleteNamespacedSecret({ namespace: 'warden', name: 'executor-run-1' });
    expect((await failure(readAs(token))).code).toBe(401);
    await broker.core.createNamespacedSecret({
      namespace: 'warden',
      body: { metadata: { name: 'executor-run-1' } },
    });
    expect((await failure(readAs(token))).code).toBe(401);
  });

  it('stops accepting a token once it expires', async () => {
    const { token } = await mintToken({ expirationSeconds: 600 });
    s.clock.now += 599_000;
    await readAs(token);
    s.clock.now += 1_000;
    expect((await failure(readAs(token))).code).toBe(401);
  });

  it('refuses a token for another audience at the API server', async () => {
    const { token } = await mintToken({ audiences: ['vault'] });
    expect((await failure(readAs(token))).code).toBe(401);
  });

  it('refuses to bind to a Secret that does not exist (404), has another uid (409) or an unbindable kind (400)', async () => {
    const request = (boundObjectRef: { apiVersion: string; kind: string; name: string; uid?: string }) =>
      failure(
        broker.core.createNamespacedServiceAccountToken({
          namespace: 'warden',
          name: 'executor',
          body: { spec: { audiences: [], expirationSeconds: 600, boundObjectRef } },
        }),
      );
    const missing = await request({ apiVersion: 'v1', kind: 'Secret', name: 'nope' });
    expect(missing).toMatchObject({
      code: 404,
      status: { reason: 'NotFound', message: 'secrets "nope" not found' },
    });
    await broker.core.createNamespacedSecret({ namespace: 'warden', body: { metadata: { name: 'bound' } } });
    const stale = await request({ apiVersion: 'v1', kind: 'Secret', name: 'bound', uid: 'not-its-uid' });
    expect(stale).toMatchObject({ code: 409, status: { reason: 'Conflict' } });
    const configMap = await request({ apiVersion: 'v1', kind: 'ConfigMap', name: 'bound' });
    expect(configMap).toMatchObject({
      code: 400,
      status: {
        message: 'cannot bind token for serviceaccount "executor" to object of type /v1, Kind=ConfigMap',
      },
    });
  });

  it('lets RBAC resourceNames limit which service accounts the broker can mint for', async () => {
    const admin = s.admin.core;
    await admin.createNamespacedServiceAccountToken({
      namespace: 'warden',
      name: 'executor',
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    s.emulator.seed({ namespace: 'warden', serviceAccounts: ['deployer'] });
    const { code, status } = await failure(
      broker.core.createNamespacedServiceAccountToken({
        namespace: 'warden',
        name: 'deployer',
        body: { spec: { audiences: [], expirationSeconds: 600 } },
      }),
    );
    expect(code).toBe(403);
    expect(status?.message).toBe(
      'serviceaccounts "deployer" is forbidden: User "warden-broker" cannot create resource "serviceaccounts/token" in API group "" in the namespace "warden"',
    );
  });
});
