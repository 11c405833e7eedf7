import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmulatorSchemaError } from '../../../src/dev/kubernetes-emulator/index.ts';
import { failure, startKubernetes } from './harness.ts';

let s: Awaited<ReturnType<typeof startKubernetes>>;
beforeEach(async () => {
  s = await startKubernetes();
});
afterEach(async () => {
  expect(s.emulator.errors()).toEqual([]);
  await s.emulator.close();
});

const DEPLOYMENTS = '/apis/apps/v1/namespaces/shop/deployments';
const readCheckout = () => s.reader.apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout' });

describe('faults', () => {
  it('fails the next N matching calls with a Status, then serves again', async () => {
    s.emulator.faults.failNext({ path: `${DEPLOYMENTS}/checkout`, status: 503, times: 2 });
    await s.reader.apps.listNamespacedDeployment({ namespace: 'shop' });
    for (let i = 0; i < 2; i++) {
      const { code, status } = await failure(readCheckout());
      expect(code).toBe(503);
      expect(status).toMatchObject({
        kind: 'Status',
        reason: 'ServiceUnavailable',
        code: 503,
        details: { retryAfterSeconds: 1 },
      });
    }
    expect((await readCheckout()).metadata?.name).toBe('checkout');
    expect(s.emulator.requests({ path: `${DEPLOYMENTS}/checkout` }).map((r) => [r.status, r.fault])).toEqual([
      [503, 'error'],
      [503, 'error'],
      [200, null],
    ]);
  });

  it('drops a connection without an answer', async () => {
    s.emulator.faults.dropNext({ method: 'GET', path: /\/deployments\/checkout$/ });
    await expect(readCheckout()).rejects.toThrow();
    expect((await readCheckout()).metadata?.name).toBe('checkout');
  });

  it('delays answers while latency is set', async () => {
    s.emulator.faults.setLatency({ path: `${DEPLOYMENTS}/checkout`, ms: 150 });
    const started = performance.now();
    await readCheckout();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    s.emulator.faults.setLatency({ path: `${DEPLOYMENTS}/checkout`, ms: 0 });
    const again = performance.now();
    await readCheckout();
    expect(performance.now() - again).toBeLessThan(140);
  });
});

describe('inspection', () => {
  it('records each request with its method, query, content type, body and user', async () => {
    const body = {
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'x' } } } },
    };
    await s.admin.apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'checkout', body, fieldManager: 'warden' },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const [patch] = s.emulator.requests({ method: 'PATCH' });
    expect(patch).toMatchObject({
      method: 'PATCH',
      path: `${DEPLOYMENTS}/checkout`,
      query: { fieldManager: 'warden' },
      contentType: 'application/strategic-merge-patch+json',
      body,
      user: 'cluster-admin',
      status: 200,
      fault: null,
    });
    expect(s.emulator.store.get('Deployment', 'shop', 'checkout')?.metadata?.generation).toBe(3);
  });

  it('fails loudly when seeded with an object that breaks the schema', () => {
    expect(() =>
      s.emulator.seed({
        namespace: 'shop',
        deployments: [
          { name: 'broken', revisions: [{ containers: [{ name: 'app', image: 5 as unknown as string }] }] },
        ],
      }),
    ).toThrow(EmulatorSchemaError);
  });
});
