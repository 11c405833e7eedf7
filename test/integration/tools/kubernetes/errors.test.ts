import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorIdentity } from '../../../../src/dev/kubernetes-emulator/index.ts';
import { createManualClock } from '../../../../src/shared/clock.ts';
import { createRedactor } from '../../../../src/shared/redact.ts';
import { createKubernetesAccess } from '../../../../src/systems/kubernetes/kubernetes.access.ts';
import {
  BROKER_TOKEN,
  type KubernetesWorld,
  rejection,
  showsBrokerToken,
  startKubernetesWorld,
} from './kubernetes.fixture.ts';
import { shippedIdentities } from './rbac.fixture.ts';

let w: KubernetesWorld | undefined;
afterEach(async () => {
  expect(w?.emulator.errors()).toEqual([]);
  await w?.close();
  w = undefined;
});

/** The shipped identities with one identity's rules changed. */
function identitiesWith(change: (identity: EmulatorIdentity) => EmulatorIdentity): EmulatorIdentity[] {
  return shippedIdentities({ brokerToken: BROKER_TOKEN }).map(change);
}
const isAccount = (identity: EmulatorIdentity, name: string) =>
  'serviceAccount' in identity ? identity.serviceAccount.name === name : identity.user.endsWith(`:${name}`);

/** The error of a call, checked to hold neither the broker token nor any token-looking text. */
async function failureOf(promise: Promise<unknown>) {
  const error = await rejection(promise);
  expect(showsBrokerToken(error)).toBe(false);
  expect(JSON.stringify({ message: error.message, details: error.details })).not.toMatch(/eyJ[\w-]+\./);
  return error;
}

describe('errors from the cluster become coded errors naming the connection', () => {
  it('401: a broker token the cluster does not know (and ping says the same)', async () => {
    w = await startKubernetesWorld({
      identities: shippedIdentities({ brokerToken: 'CANARY-rotated-away-1' }),
    });
    const error = await failureOf(w.call('list_pods', { service: 'checkout' }));
    expect(error.code).toBe('system.unauthorized');
    expect(error.message).toBe(
      "prod-cluster refused the broker token (401): Unauthorized; check the secret it comes from (the connection's `token`).",
    );
    expect(error.details).toMatchObject({ connection: 'prod-cluster', status: 401, credential: 'broker' });
    expect((await failureOf(w.access.ping())).code).toBe('system.unauthorized');
  });

  it('403: a missing RBAC verb, with the API server’s words', async () => {
    w = await startKubernetesWorld({
      identities: identitiesWith((i) =>
        isAccount(i, 'warden-reader')
          ? { ...i, rules: i.rules.filter((r) => !r.resources.includes('pods')) }
          : i,
      ),
    });
    const error = await failureOf(w.call('list_pods', { service: 'checkout' }));
    expect(error.code).toBe('system.forbidden');
    expect(error.message).toBe(
      'prod-cluster does not allow this (403): pods is forbidden: User "system:serviceaccount:warden:warden-reader" cannot list resource "pods" in API group "" in the namespace "shop".',
    );
    expect(w.leases()).toEqual([]);
  });

  it('503 and a dropped connection; a server message quoting the token is redacted', async () => {
    w = await startKubernetesWorld();
    const path = '/apis/apps/v1/namespaces/shop/deployments/checkout';
    w.emulator.faults.failNext({ path, status: 503, message: `etcd is down (auth ${BROKER_TOKEN})` });
    const unavailable = await failureOf(w.call('get_deployment', { service: 'checkout' }));
    expect(unavailable.code).toBe('system.unavailable');
    expect(unavailable.message).toBe('prod-cluster failed (503): etcd is down (auth [REDACTED]).');
    w.emulator.faults.dropNext({ path });
    const dropped = await failureOf(w.call('get_deployment', { service: 'checkout' }));
    expect(dropped.code).toBe('system.unreachable');
    expect(dropped.message).toMatch(/^prod-cluster is unreachable \(ECONNRESET\)\.$/);
    expect(w.leases()).toEqual([]);
  });

  it('unreachable: nothing listens at the URL', async () => {
    w = await startKubernetesWorld({ url: () => 'http://127.0.0.1:9' });
    const error = await failureOf(w.call('list_pods', { service: 'checkout' }));
    expect(error.code).toBe('system.unreachable');
    expect(error.message).toBe('prod-cluster is unreachable (ECONNREFUSED).');
    expect((await failureOf(w.access.ping())).code).toBe('system.unreachable');
  });

  it('TLS: https to a server that does not speak it', async () => {
    w = await startKubernetesWorld({ url: (u) => u.replace('http://', 'https://') });
    const error = await failureOf(w.call('list_pods', { service: 'checkout' }));
    expect(error.code).toBe('system.tls');
    expect(error.message).toMatch(
      /^prod-cluster: the TLS handshake failed \(\w+\); check the URL and the CA file\.$/,
    );
  });

  it('timeout: the API server does not answer in time', async () => {
    w = await startKubernetesWorld();
    w.emulator.faults.setLatency({ ms: 1_000 });
    const access = createKubernetesAccess({
      connection: {
        name: 'slow-cluster',
        kind: 'kubernetes',
        url: w.emulator.url,
        caPem: null,
        brokerToken: BROKER_TOKEN,
        executor: { namespace: 'warden', read_account: 'warden-reader', write_account: 'warden-executor' },
      },
      redactor: createRedactor(),
      clock: createManualClock(),
      timeoutMs: 100,
    });
    const error = await failureOf(access.ping());
    expect(error.code).toBe('system.timeout');
    expect(error.message).toBe('slow-cluster did not answer within 100 ms.');
    w.emulator.faults.setLatency({ ms: 0 });
  });
});

describe('ping (warden connections check)', () => {
  it('answers one line when the broker may do all a lease needs', async () => {
    w = await startKubernetesWorld();
    await expect(w.access.ping()).resolves.toBe(
      `prod-cluster: the broker may mint tokens for warden/warden-reader and warden/warden-executor and manage lease Secrets in warden (${w.emulator.url})`,
    );
    expect(
      w.emulator.requests({ path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' }),
    ).toHaveLength(5);
    expect(w.leases()).toEqual([]);
  });

  it('names each missing verb and resource', async () => {
    w = await startKubernetesWorld({
      identities: identitiesWith((i) =>
        isAccount(i, 'warden-broker')
          ? {
              ...i,
              rules: i.rules.map((r) =>
                r.resources.includes('secrets')
                  ? { ...r, verbs: ['create', 'get'] }
                  : { ...r, resourceNames: ['warden-reader'] },
              ),
            }
          : i,
      ),
    });
    const error = await failureOf(w.access.ping());
    expect(error.code).toBe('system.forbidden');
    expect(error.message).toBe(
      'prod-cluster: the broker token may not create serviceaccounts/token "warden-executor", delete secrets in namespace warden; apply the warden-broker Role of deploy/kubernetes/ (or fix its RoleBinding).',
    );
  });
});
