import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KubernetesWorld, startKubernetesWorld } from './kubernetes.fixture.ts';

/** What a write's `verify` finds after a timed-out call: by the proposal's key, with the read account. */
let w: KubernetesWorld;
beforeEach(async () => {
  w = await startKubernetesWorld();
});
afterEach(async () => {
  expect(w.emulator.errors()).toEqual([]);
  expect(w.leases()).toEqual([]);
  await w.close();
});

const verify = (tool: string, args: Record<string, unknown>, proposalId: string) =>
  w.harness.verify(tool, args, { proposalId });

describe('verifying a Kubernetes write by its key', () => {
  it('finds a restart made by this proposal, and none for another', async () => {
    const args = { service: 'checkout' };
    expect(await verify('rollout_restart', args, 'prp_restartv1')).toMatchObject({ effect: 'absent' });
    await w.call('rollout_restart', args, { proposalId: 'prp_restartv1' });
    const found = await verify('rollout_restart', args, 'prp_restartv1');
    expect(found).toMatchObject({ effect: 'present', result: { data: { alreadyDone: true } } });
    expect(await verify('rollout_restart', args, 'prp_restartv2')).toMatchObject({ effect: 'absent' });
    // Verifying only reads: no patch is sent.
    const patchesBefore = w.emulator.requests({ method: 'PATCH' }).length;
    await verify('rollout_restart', args, 'prp_restartv1');
    expect(w.emulator.requests({ method: 'PATCH' })).toHaveLength(patchesBefore);
  });

  it('finds a scale by its record and the replicas, with the inverse for Undo', async () => {
    const args = { service: 'checkout', replicas: 5 };
    expect(await verify('scale_deployment', args, 'prp_scalev1')).toMatchObject({ effect: 'absent' });
    const done = await w.call('scale_deployment', args, { proposalId: 'prp_scalev1' });
    expect(await verify('scale_deployment', args, 'prp_scalev1')).toMatchObject({
      effect: 'present',
      result: { data: { previousReplicas: done.data.previousReplicas, undo: done.data.undo } },
    });
    expect(await verify('scale_deployment', { ...args, replicas: 6 }, 'prp_scalev1')).toMatchObject({
      effect: 'absent',
    });
  });

  it('finds a rollback by its record', async () => {
    const args = { service: 'checkout', to_revision: 1 };
    expect(await verify('rollout_undo', args, 'prp_undov1')).toMatchObject({ effect: 'absent' });
    await w.call('rollout_undo', args, { proposalId: 'prp_undov1' });
    expect(await verify('rollout_undo', args, 'prp_undov1')).toMatchObject({
      effect: 'present',
      result: {
        data: {
          toRevision: 1,
          undo: { tool: 'rollout_undo', args: { service: 'checkout', to_revision: 2 } },
        },
      },
    });
    expect(await verify('rollout_undo', args, 'prp_undov2')).toMatchObject({ effect: 'absent' });
  });
});
