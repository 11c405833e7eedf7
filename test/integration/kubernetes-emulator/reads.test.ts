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

const checkout = () => s.shop.deployments.checkout!;
const crashingPod = () => checkout().pods[2]!;

describe('pods', () => {
  it('lists pods by label selector, with list items served without kind, as the API server does', async () => {
    const names = async (labelSelector: string) =>
      (await s.reader.core.listNamespacedPod({ namespace: 'shop', labelSelector })).items.map(
        (p) => p.metadata?.name,
      );

    const pods = await s.reader.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=checkout' });
    expect(pods.kind).toBe('PodList');
    expect(pods.items.map((p) => p.metadata?.name).sort()).toEqual([...checkout().pods].sort());
    expect(pods.items[0]?.kind).toBeUndefined();
    expect(await names('app=cart')).toHaveLength(2);
    expect(await names('app!=checkout')).toEqual(await names('app=cart'));
    expect(await names('app in (cart,checkout)')).toHaveLength(5);
    const hash = checkout().replicaSets[1]!.replace('checkout-', '');
    expect(await names(`app=checkout,pod-template-hash=${hash}`)).toHaveLength(3);
    expect(await names('app=checkout,pod-template-hash=nope')).toEqual([]);
    expect(await names('')).toHaveLength(5);
  });

  it('refuses a malformed label selector with a 400 Status', async () => {
    const { code, status } = await failure(
      s.reader.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=(' }),
    );
    expect(code).toBe(400);
    expect(status).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });

  it('serves a crash-looping pod as the kubelet reports it', async () => {
    const pod = await s.reader.core.readNamespacedPod({ namespace: 'shop', name: crashingPod() });
    const container = pod.status?.containerStatuses?.[0];
    expect(pod.status?.phase).toBe('Running');
    expect(container?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(container?.restartCount).toBe(7);
    expect(container?.lastState?.terminated).toMatchObject({ reason: 'Error', exitCode: 1 });
    expect(container?.image).toBe(CHECKOUT_IMAGES.current);
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'ReplicaSet',
      name: checkout().replicaSets[1],
    });
  });

  it('pages a list with limit and continue', async () => {
    const first = await s.reader.core.listNamespacedPod({ namespace: 'shop', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata?.remainingItemCount).toBe(3);
    const rest = await s.reader.core.listNamespacedPod({
      namespace: 'shop',
      limit: 10,
      _continue: first.metadata?._continue,
    });
    expect(rest.items).toHaveLength(3);
    expect(rest.metadata?._continue).toBeUndefined();
  });
});

describe('pod logs', () => {
  const read = (options: {
    tailLines?: number;
    previous?: boolean;
    limitBytes?: number;
    sinceSeconds?: number;
    container?: string;
  }) => s.reader.core.readNamespacedPodLog({ namespace: 'shop', name: crashingPod(), ...options });

  it('serves the last tailLines lines of the current run, as text', async () => {
    const all = await read({});
    expect(all.split('\n')).toHaveLength(8);
    expect(await read({ tailLines: 2 })).toBe('main.main()\n\t/src/cmd/checkout/main.go:57 +0x1d4\n');
    expect(await read({ tailLines: 2 })).not.toBe(await read({ tailLines: 3 }));
  });

  it('serves the previous run with previous=true, and refuses it for a container that never restarted', async () => {
    s.emulator.logs.write({
      namespace: 'shop',
      pod: crashingPod(),
      container: 'checkout',
      previous: true,
      lines: [{ at: s.clock.now - 120_000, text: 'the run before' }],
    });
    expect(await read({ previous: true })).toBe('the run before\n');
    const { code, status } = await failure(
      s.reader.core.readNamespacedPodLog({ namespace: 'shop', name: checkout().pods[0]!, previous: true }),
    );
    expect(code).toBe(400);
    expect(status?.message).toBe(
      `previous terminated container "checkout" in pod "${checkout().pods[0]}" not found`,
    );
  });

  it('cuts at limitBytes and keeps only the last sinceSeconds', async () => {
    expect(await read({ limitBytes: 10 })).toBe('level=info');
    // Seeded lines are one second apart, ending now: four were written in the last 3 s.
    expect(await read({ sinceSeconds: 3 })).toBe(
      'panic: payments client: missing base URL\ngoroutine 1 [running]:\nmain.main()\n\t/src/cmd/checkout/main.go:57 +0x1d4\n',
    );
    s.clock.now += 10_000;
    expect(await read({ sinceSeconds: 3 })).toBe('');
  });

  it('refuses an unknown container and invalid options as the server does', async () => {
    const unknown = await failure(read({ container: 'sidecar' }));
    expect(unknown.code).toBe(400);
    expect(unknown.status?.message).toBe(`container sidecar is not valid for pod ${crashingPod()}`);
    const negative = await failure(read({ tailLines: -1 }));
    expect(negative.code).toBe(422);
    expect(negative.status?.message).toBe(
      `PodLogOptions "${crashingPod()}" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0`,
    );
  });
});

describe('replicasets, events and autoscalers', () => {
  it('lists the ReplicaSet history with revisions, owners and templates', async () => {
    const list = await s.reader.apps.listNamespacedReplicaSet({
      namespace: 'shop',
      labelSelector: 'app=checkout',
    });
    const byRevision = Object.fromEntries(
      list.items.map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs]),
    );
    expect(Object.keys(byRevision).sort()).toEqual(['1', '2']);
    expect(byRevision['1']?.spec?.template?.spec?.containers[0]?.image).toBe(CHECKOUT_IMAGES.previous);
    expect(byRevision['1']?.spec?.replicas).toBe(0);
    expect(byRevision['2']?.spec?.template?.spec?.containers[0]?.image).toBe(CHECKOUT_IMAGES.current);
    expect(byRevision['2']?.status?.readyReplicas).toBe(2);
    expect(byRevision['2']?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'checkout',
      uid: checkout().uid,
      controller: true,
    });
    const one = await s.reader.apps.readNamespacedReplicaSet({
      namespace: 'shop',
      name: checkout().replicaSets[0]!,
    });
    expect(one.metadata?.labels?.['pod-template-hash']).toBe(
      checkout().replicaSets[0]!.replace('checkout-', ''),
    );
  });

  it('filters events by involvedObject.name and refuses unsupported field labels', async () => {
    const events = await s.reader.core.listNamespacedEvent({
      namespace: 'shop',
      fieldSelector: `involvedObject.name=${crashingPod()}`,
    });
    expect(events.items.map((e) => e.reason).sort()).toEqual(['BackOff', 'Pulled']);
    const backOff = events.items.find((e) => e.reason === 'BackOff');
    expect(backOff).toMatchObject({
      type: 'Warning',
      count: 31,
      involvedObject: { kind: 'Pod', name: crashingPod() },
    });
    expect(backOff?.message).toContain(
      `Back-off restarting failed container checkout in pod ${crashingPod()}_shop(`,
    );
    const warnings = await s.reader.core.listNamespacedEvent({
      namespace: 'shop',
      fieldSelector: 'type=Warning',
    });
    expect(warnings.items).toHaveLength(1);
    const { code, status } = await failure(
      s.reader.core.listNamespacedEvent({ namespace: 'shop', fieldSelector: 'color=red' }),
    );
    expect(code).toBe(400);
    expect(status?.message).toBe('field label not supported: color');
  });

  it('serves autoscaling/v2 HPAs', async () => {
    const list = await s.reader.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: 'shop' });
    expect(list.items.map((h) => h.metadata?.name)).toEqual(['checkout']);
    const hpa = await s.reader.autoscaling.readNamespacedHorizontalPodAutoscaler({
      namespace: 'shop',
      name: 'checkout',
    });
    expect(hpa.spec?.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'checkout' });
    expect(hpa.spec?.metrics?.[0]?.resource?.target.averageUtilization).toBe(70);
    expect(hpa.status?.desiredReplicas).toBe(4);
  });
});
