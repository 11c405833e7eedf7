import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../../src/shared/clock.ts';
import { createRedactor, REDACTED, type Redactor } from '../../../../src/shared/redact.ts';
import { createKubernetesAccess } from '../../../../src/systems/kubernetes/kubernetes.access.ts';
import { leaseSecretName } from '../../../../src/systems/kubernetes/kubernetes.lease.ts';
import type { KubernetesConnection } from '../../../../src/systems/systems.types.ts';
import { BROKER_TOKEN, type KubernetesWorld, rejection, startKubernetesWorld } from './kubernetes.fixture.ts';

let w: KubernetesWorld;
beforeEach(async () => {
  w = await startKubernetesWorld();
});
afterEach(async () => {
  expect(w.emulator.errors()).toEqual([]);
  await w.close();
});

const DEPLOYMENT = '/apis/apps/v1/namespaces/shop/deployments/checkout';

/** Access to the world's cluster with a redactor that remembers what it was told (to see the minted token). */
function recordingAccess({ audience }: { audience?: string } = {}) {
  const base = createRedactor();
  const added: string[] = [];
  const forgotten: string[] = [];
  const redactor: Redactor = {
    ...base,
    addSecret: (s) => {
      added.push(s);
      base.addSecret(s);
    },
    forgetSecret: (s) => {
      forgotten.push(s);
      base.forgetSecret(s);
    },
  };
  const connection: KubernetesConnection = {
    name: 'prod-cluster',
    kind: 'kubernetes',
    url: w.emulator.url,
    caPem: null,
    brokerToken: BROKER_TOKEN,
    executor: {
      namespace: 'warden',
      read_account: 'warden-reader',
      write_account: 'warden-executor',
      ...(audience ? { audience } : {}),
    },
  };
  const access = createKubernetesAccess({ connection, redactor, clock: createManualClock() });
  const minted = () => added.filter((s) => s !== BROKER_TOKEN);
  return { access, redactor, minted, forgotten };
}

/** A plain client with a raw token, as anyone who stole it would use it. */
function coreWith(token: string) {
  const kc = new KubeConfig();
  kc.loadFromOptions(w.emulator.kubeConfigOptions({ token }));
  return kc.makeApiClient(CoreV1Api);
}

describe('the per-proposal lease', () => {
  it('exists only during the call: a labelled Secret, a 10-minute token bound to it for the right account', async () => {
    w.emulator.faults.setLatency({ method: 'GET', path: DEPLOYMENT, ms: 3_000 });
    const call = w.call('rollout_restart', { service: 'checkout' }, { proposalId: 'prp_lease1' });
    await expect.poll(() => w.leases()).toEqual(['warden-lease-prp-lease1']);
    const secret = w.emulator.store.get('Secret', 'warden', 'warden-lease-prp-lease1');
    expect(secret?.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'warden',
      'warden.dev/proposal': 'prp_lease1',
    });
    await call;
    expect(w.leases()).toEqual([]);
    const [claims] = w.emulator.issuedTokens();
    expect(claims?.sub).toBe('system:serviceaccount:warden:warden-executor');
    expect((claims?.exp ?? 0) - (claims?.iat ?? 0)).toBe(600);
    expect(claims?.['kubernetes.io'].secret).toEqual({
      name: 'warden-lease-prp-lease1',
      uid: secret?.metadata?.uid,
    });
    const [request] = w.emulator.requests({ path: /serviceaccounts\/warden-executor\/token$/ });
    expect(request?.user).toBe('system:serviceaccount:warden:warden-broker');

    await w.call('list_pods', { service: 'checkout' });
    expect(w.emulator.issuedTokens()[1]?.sub).toBe('system:serviceaccount:warden:warden-reader');
  });

  it('registers the token with the redactor at once, and the cluster refuses it after close (401)', async () => {
    const { access, redactor, minted, forgotten } = recordingAccess();
    const session = await access.session({ proposalId: 'prp_close', access: 'read' });
    const [token] = minted();
    expect(token).toMatch(/^eyJ/);
    expect(redactor.redactText(`Authorization: ${token}`)).toBe(`Authorization: ${REDACTED}`);
    expect(
      (await coreWith(token ?? '').listNamespacedPod({ namespace: 'shop' })).items.length,
    ).toBeGreaterThan(0);
    await session.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' });

    await session.close();
    expect(forgotten).toEqual([token]);
    expect(w.leases()).toEqual([]);
    const refused = await rejection(
      session.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' }),
    );
    expect(refused.code).toBe('system.unauthorized');
    expect(refused.message).toContain('refused the per-proposal read token (401)');
    await expect(coreWith(token ?? '').listNamespacedPod({ namespace: 'shop' })).rejects.toMatchObject({
      code: 401,
    });
    await session.close(); // twice is harmless
  });

  it('re-uses the Secret of a retry of the same proposal (409 AlreadyExists), and closing twice is fine', async () => {
    const { access } = recordingAccess();
    const first = await access.session({ proposalId: 'prp_retry', access: 'write' });
    const second = await access.session({ proposalId: 'prp_retry', access: 'write' });
    expect(second.lease).toBe(first.lease);
    expect(
      w.emulator.requests({ method: 'GET', path: `/api/v1/namespaces/warden/secrets/${first.lease}` }),
    ).toHaveLength(1);
    await second.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' });
    await first.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' });
    await second.close();
    await first.close();
    expect(w.leases()).toEqual([]);
  });

  it('asks for the audience the connection names', async () => {
    const { access } = recordingAccess({ audience: 'https://kubernetes.default.svc.cluster.local' });
    const session = await access.session({ proposalId: 'prp_aud', access: 'read' });
    await session.close();
    const [request] = w.emulator.requests({ path: /serviceaccounts\/warden-reader\/token$/ });
    expect(request?.body).toMatchObject({
      spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 600 },
    });
  });

  it('is revoked by revokeForProposals during a call: the cluster refuses the token mid-flight', async () => {
    w.emulator.faults.setLatency({ method: 'GET', path: DEPLOYMENT, ms: 5_000 });
    const call = w.call('get_deployment', { service: 'checkout' }, { proposalId: 'prp_killed' });
    await expect.poll(() => w.leases()).toEqual([leaseSecretName('prp_killed')]);
    await w.harness.systems.revokeForProposals(['prp_killed', 'prp_never_started']);
    expect(w.leases()).toEqual([]);
    const error = await rejection(call);
    expect(error.code).toBe('system.unauthorized');
    expect(error.message).toContain('it was revoked');
  });

  it('deletes the Secret again when the token cannot be minted', async () => {
    w.emulator.faults.failNext({
      method: 'POST',
      path: /serviceaccounts\/warden-reader\/token$/,
      status: 500,
    });
    const error = await rejection(w.call('list_pods', { service: 'checkout' }));
    expect(error.code).toBe('system.unavailable');
    expect(w.leases()).toEqual([]);
  });
});

describe('a failed revocation after the call', () => {
  it('is a warning on the result, not a failure (the effect happened); the token dies in 10 minutes', async () => {
    w.emulator.faults.failNext({ method: 'DELETE', path: /\/namespaces\/warden\/secrets\//, status: 503 });
    const result = await w.call('list_hpas', { service: 'checkout' }, { proposalId: 'prp_unrevoked' });
    expect(result.data.warnings).toEqual([
      expect.stringMatching(
        /^The per-proposal token could not be revoked \(prod-cluster failed \(503\).*\); it expires within 10 minutes\.$/,
      ),
    ]);
    expect(w.leases()).toEqual(['warden-lease-prp-unrevoked']);
    await w.access.revokeForProposals(['prp_unrevoked']);
    expect(w.leases()).toEqual([]);
  });
});

describe('lease Secret names', () => {
  it('are readable for Warden ids and distinct for ids that differ only in case or punctuation', () => {
    expect(leaseSecretName('prp_7f3k2m9q1x')).toBe('warden-lease-prp-7f3k2m9q1x');
    const names = ['prp-a', 'prp_a', 'PRP_A', 'prp__a', 'prp_a_', `prp_${'a'.repeat(80)}`].map(
      leaseSecretName,
    );
    expect(new Set(names).size).toBe(names.length);
    // A Secret name is an RFC 1123 subdomain of at most 253 characters.
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(name.length).toBeLessThanOrEqual(80);
    }
  });
});
