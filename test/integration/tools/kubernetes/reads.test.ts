import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKOUT_IMAGES } from '../../../../src/dev/kubernetes-emulator/index.ts';
import { type KubernetesWorld, rejection, startKubernetesWorld } from './kubernetes.fixture.ts';

// Reads change nothing (each call's lease Secret is gone after it), so one world serves the file.
let w: KubernetesWorld;
beforeAll(async () => {
  w = await startKubernetesWorld();
});
afterAll(async () => {
  expect(w.emulator.errors()).toEqual([]);
  expect(w.leases()).toEqual([]);
  await w.close();
});

describe('list_pods', () => {
  it('lists the service pods with readiness, restarts and the crash-looping pod’s last termination', async () => {
    const result = await w.call('list_pods', { service: 'checkout' });
    const pods = result.data.pods as any[];
    expect(pods).toHaveLength(3);
    const crashing = pods.find((p) => p.restarts === 7);
    expect(crashing).toMatchObject({
      status: 'CrashLoopBackOff',
      ready: false,
      readyContainers: '0/1',
      lastTermination: { container: 'checkout', exitCode: 1, reason: 'Error' },
      images: [CHECKOUT_IMAGES.current],
    });
    expect(pods.filter((p) => p.ready)).toHaveLength(2);
    expect(JSON.stringify(pods)).not.toMatch(/nodeName|hostIP|podIP/);
    expect(result.summary).toMatch(
      /checkout in production: 3 pods, 2 ready; .*CrashLoopBackOff \(7 restarts, last exit 1 Error\)/,
    );
    expect(w.leases()).toEqual([]);
  });
});

describe('get_deployment', () => {
  it('reports replicas, image, revision and a complete rollout', async () => {
    const result = await w.call('get_deployment', { service: 'checkout' });
    expect(result.data.deployment).toMatchObject({
      name: 'checkout',
      revision: 2,
      images: [CHECKOUT_IMAGES.current],
      replicas: { desired: 3, updated: 3, ready: 2 },
    });
    expect(result.summary).toContain('revision 2');
  });
});

describe('get_rollout_history', () => {
  it('lists the revisions newest first with their images', async () => {
    const result = await w.call('get_rollout_history', { service: 'checkout' });
    expect(result.data.currentRevision).toBe(2);
    expect((result.data.revisions as any[]).map((r) => [r.revision, r.current, r.images])).toEqual([
      [2, true, [CHECKOUT_IMAGES.current]],
      [1, false, [CHECKOUT_IMAGES.previous]],
    ]);
  });
});

describe('list_events', () => {
  it('lists the events of the pods, newest first, and filters warnings', async () => {
    const all = await w.call('list_events', { service: 'checkout' });
    const events = all.data.events as any[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.some((e) => e.reason === 'BackOff' && e.object.startsWith('Pod/checkout-'))).toBe(true);
    const times = events.map((e) => e.lastSeen);
    expect([...times].sort().reverse()).toEqual(times);
    const warnings = await w.call('list_events', { service: 'checkout', warnings_only: true, limit: 5 });
    expect((warnings.data.events as any[]).every((e) => e.type === 'Warning')).toBe(true);
    expect(warnings.summary).toMatch(/BackOff/);
  });

  it('leaves out events of other services', async () => {
    const result = await w.call('list_events', { service: 'cart' });
    expect((result.data.events as any[]).every((e) => !e.object.includes('checkout'))).toBe(true);
  });
});

describe('list_hpas', () => {
  it('reports the HPA bounds, replicas and CPU metric', async () => {
    const result = await w.call('list_hpas', { service: 'checkout' });
    expect(result.data.hpas).toEqual([
      expect.objectContaining({
        name: 'checkout',
        minReplicas: 3,
        maxReplicas: 10,
        currentReplicas: 3,
        desiredReplicas: 4,
        metrics: [{ type: 'Resource', name: 'cpu', target: '70%', current: '82%' }],
      }),
    ]);
    const none = await w.call('list_hpas', { service: 'cart' });
    expect(none.summary).toContain('no HorizontalPodAutoscaler');
  });
});

describe('catalog refusals', () => {
  it('refuses an unknown service or environment, and a service without Kubernetes', async () => {
    expect((await rejection(w.call('list_pods', { service: 'ghost' }))).code).toBe('catalog.unknown_target');
    expect(
      (await rejection(w.call('list_pods', { service: 'checkout' }, { environment: 'staging' }))).code,
    ).toBe('catalog.unknown_target');
    const noSystem = await rejection(w.call('get_deployment', { service: 'billing' }));
    expect(noSystem.code).toBe('catalog.no_system');
    const before = w.emulator.requests().length;
    expect((await rejection(w.call('list_pods', { service: 'ghost' }))).code).toBe('catalog.unknown_target');
    expect(w.emulator.requests()).toHaveLength(before);
  });
});
