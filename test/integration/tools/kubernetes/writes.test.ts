import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKOUT_IMAGES } from '../../../../src/dev/kubernetes-emulator/index.ts';
import { RESTART_KEY, RESTARTED_AT } from '../../../../src/tools/kubernetes/rollout-restart.tool.ts';
import { type KubernetesWorld, rejection, startKubernetesWorld } from './kubernetes.fixture.ts';

let w: KubernetesWorld;
beforeEach(async () => {
  w = await startKubernetesWorld();
});
afterEach(async () => {
  expect(w.emulator.errors()).toEqual([]);
  expect(w.leases()).toEqual([]);
  await w.close();
});

const DEPLOYMENT = '/apis/apps/v1/namespaces/shop/deployments/checkout';
const patches = () => w.emulator.requests({ method: 'PATCH', path: /\/deployments\/checkout/ });
const image = () => w.checkout()?.spec?.template.spec?.containers[0]?.image;
const revision = () => w.checkout()?.metadata?.annotations?.['deployment.kubernetes.io/revision'];

describe('rollout_restart', () => {
  it('stamps the pod template, makes a new revision, and patches once per proposal', async () => {
    const before = w.shop.deployments.checkout?.pods ?? [];
    const first = await w.call('rollout_restart', { service: 'checkout' }, { proposalId: 'prp_restart1' });
    const annotations = w.checkout()?.spec?.template.metadata?.annotations ?? {};
    expect(annotations[RESTART_KEY]).toBe('prp_restart1');
    expect(annotations[RESTARTED_AT]).toBe(first.data.restartedAt);
    expect(first.data).toMatchObject({
      alreadyDone: false,
      previousRevision: 2,
      deployment: { revision: 3 },
    });
    expect(first.data).not.toHaveProperty('undo');
    expect(first.summary).toMatch(/restarted checkout at .* \(revision 2 → 3\)/);
    const pods = w.emulator.store.list('Pod', 'shop').map((p) => p.metadata?.name);
    expect(pods.some((p) => before.includes(p ?? ''))).toBe(false);

    const again = await w.call('rollout_restart', { service: 'checkout' }, { proposalId: 'prp_restart1' });
    expect(again.data).toMatchObject({ alreadyDone: true, restartedAt: first.data.restartedAt });
    expect(again.summary).toContain('already restarted by this proposal');
    expect(patches()).toHaveLength(1);
    expect(revision()).toBe('3');

    await w.call('rollout_restart', { service: 'checkout' }, { proposalId: 'prp_restart2' });
    expect(patches()).toHaveLength(2);
    expect(revision()).toBe('4');
  });
});

describe('get_deployment after a restart', () => {
  it('says a held rollout is progressing and a failed one exceeded its deadline', async () => {
    w.emulator.rollouts.hold({ namespace: 'shop', name: 'checkout' });
    await w.call('rollout_restart', { service: 'checkout' });
    const held = await w.call('get_deployment', { service: 'checkout' });
    expect(held.data.deployment).toMatchObject({ rollout: { state: 'progressing' } });
    w.emulator.rollouts.fail({ namespace: 'shop', name: 'checkout' });
    const failed = await w.call('get_deployment', { service: 'checkout' });
    expect(failed.data.deployment).toMatchObject({
      rollout: { state: 'failed', message: 'deployment "checkout" exceeded its progress deadline' },
    });
  });
});

describe('scale_deployment', () => {
  it('scales, records the previous count with its undo, warns about the HPA, and a retry changes nothing', async () => {
    const result = await w.call(
      'scale_deployment',
      { service: 'checkout', replicas: 5 },
      { proposalId: 'prp_scale1' },
    );
    expect(w.checkout()?.spec?.replicas).toBe(5);
    expect(result.data).toMatchObject({
      previousReplicas: 3,
      replicas: 5,
      changed: true,
      undo: { tool: 'scale_deployment', args: { service: 'checkout', replicas: 3 } },
    });
    expect(result.data.warnings).toEqual([expect.stringContaining('HPA checkout (min 3, max 10)')]);
    expect(result.summary).toMatch(/scaled checkout from 3 to 5 replicas\. Warning: HPA checkout/);
    expect(w.emulator.requests({ method: 'PATCH', path: `${DEPLOYMENT}/scale` })).toHaveLength(1);

    const retry = await w.call(
      'scale_deployment',
      { service: 'checkout', replicas: 5 },
      { proposalId: 'prp_scale1' },
    );
    expect(retry.data).toMatchObject({
      previousReplicas: 3,
      alreadyDone: true,
      undo: { args: { replicas: 3 } },
    });
    expect(w.emulator.requests({ method: 'PATCH', path: `${DEPLOYMENT}/scale` })).toHaveLength(1);
  });

  it('finishes a scale whose first attempt failed after recording, keeping the first previous count', async () => {
    w.emulator.faults.failNext({ method: 'PATCH', path: `${DEPLOYMENT}/scale`, status: 503 });
    const failed = await rejection(
      w.call('scale_deployment', { service: 'checkout', replicas: 1 }, { proposalId: 'prp_s' }),
    );
    expect(failed.code).toBe('system.unavailable');
    expect(w.checkout()?.spec?.replicas).toBe(3);
    const retry = await w.call(
      'scale_deployment',
      { service: 'checkout', replicas: 1 },
      { proposalId: 'prp_s' },
    );
    expect(retry.data).toMatchObject({ previousReplicas: 3, changed: true, alreadyDone: false });
    expect(w.checkout()?.spec?.replicas).toBe(1);
  });

  it('says so when nothing needs changing, and warns of nothing without an HPA', async () => {
    const result = await w.call('scale_deployment', { service: 'cart', replicas: 2 });
    expect(result.data).toMatchObject({ previousReplicas: 2, changed: false, warnings: [] });
    expect(result.data).not.toHaveProperty('undo');
    expect(w.emulator.requests({ method: 'PATCH' })).toEqual([]);
    expect((await rejection(w.call('scale_deployment', { service: 'cart', replicas: 51 }))).code).toBe(
      'tools.invalid_input',
    );
  });
});

describe('rollout_undo', () => {
  it('puts the old revision’s template back, records the revision it replaced, and a retry changes nothing', async () => {
    const result = await w.call(
      'rollout_undo',
      { service: 'checkout', to_revision: 1 },
      { proposalId: 'prp_undo1' },
    );
    expect(image()).toBe(CHECKOUT_IMAGES.previous);
    expect(w.checkout()?.spec?.template.metadata?.labels).not.toHaveProperty('pod-template-hash');
    expect(result.data).toMatchObject({
      previousRevision: 2,
      toRevision: 1,
      deployment: { revision: 3, images: [CHECKOUT_IMAGES.previous] },
      undo: { tool: 'rollout_undo', args: { service: 'checkout', to_revision: 2 } },
    });
    expect(result.summary).toContain(
      `back to revision 1 (${CHECKOUT_IMAGES.previous}), replacing revision 2`,
    );
    // The controller re-used revision 1's ReplicaSet (renumbered), as after `kubectl rollout undo`.
    expect(
      w.emulator.store.list('ReplicaSet', 'shop').filter((rs) => rs.metadata?.name?.startsWith('checkout-')),
    ).toHaveLength(2);

    const retry = await w.call(
      'rollout_undo',
      { service: 'checkout', to_revision: 1 },
      { proposalId: 'prp_undo1' },
    );
    expect(retry.data).toMatchObject({ alreadyDone: true, previousRevision: 2 });
    expect(patches()).toHaveLength(1);

    // The recorded undo works: back to revision 2's image.
    await w.call('rollout_undo', { service: 'checkout', to_revision: 2 });
    expect(image()).toBe(CHECKOUT_IMAGES.current);
  });

  it('refuses the current revision and one that does not exist, naming the known ones', async () => {
    const current = await rejection(w.call('rollout_undo', { service: 'checkout', to_revision: 2 }));
    expect(current.code).toBe('kubernetes.revision_current');
    const unknown = await rejection(w.call('rollout_undo', { service: 'checkout', to_revision: 7 }));
    expect(unknown.code).toBe('kubernetes.unknown_revision');
    expect(unknown.message).toContain('has no revision 7 (it has 2, 1; current 2)');
    expect(patches()).toEqual([]);
  });
});

describe('aborts (the kill switch)', () => {
  it('patches nothing when the call is cancelled before it starts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('kill switch'));
    const error = await rejection(
      w.call('rollout_restart', { service: 'checkout' }, { signal: controller.signal }),
    );
    expect(error.code).toBe('tools.aborted');
    expect(w.emulator.requests()).toEqual([]);
  });

  it('patches nothing when cancelled while reading the Deployment before the write', async () => {
    w.emulator.faults.setLatency({ method: 'GET', path: DEPLOYMENT, ms: 5_000 });
    const controller = new AbortController();
    const call = w.call(
      'rollout_undo',
      { service: 'checkout', to_revision: 1 },
      { signal: controller.signal },
    );
    await expect.poll(() => w.leases().length).toBe(1);
    controller.abort(new Error('kill switch'));
    expect((await rejection(call)).code).toBe('tools.aborted');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(patches()).toEqual([]);
    expect(image()).toBe(CHECKOUT_IMAGES.current);
  });
});
