import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../../../../src/shared/redact.ts';
import { MAX_LOG_BYTES } from '../../../../src/tools/kubernetes/get-pod-logs.tool.ts';
import { type KubernetesWorld, rejection, startKubernetesWorld } from './kubernetes.fixture.ts';

let w: KubernetesWorld;
let healthy: string;
let crashing: string;
beforeAll(async () => {
  w = await startKubernetesWorld();
  const [first, , third] = w.shop.deployments.checkout?.pods ?? [];
  healthy = first ?? '';
  crashing = third ?? '';
});
afterAll(async () => {
  expect(w.emulator.errors()).toEqual([]);
  expect(w.leases()).toEqual([]);
  await w.close();
});

const write = (lines: { text: string; secondsAgo?: number }[], pod = healthy) => {
  const now = w.clock.now().getTime();
  w.emulator.logs.write({
    namespace: 'shop',
    pod,
    container: 'checkout',
    lines: lines.map((l) => ({ text: l.text, at: now - (l.secondsAgo ?? 1) * 1000 })),
  });
};

describe('get_pod_logs', () => {
  it('reads the previous run of a crash-looping pod: why it died', async () => {
    const result = await w.call('get_pod_logs', { service: 'checkout', pod: crashing, previous: true });
    expect(result.data).toMatchObject({
      pod: crashing,
      container: 'checkout',
      previous: true,
      truncated: false,
    });
    expect(result.data.lines).toContain('panic: payments client: missing base URL');
    expect(result.summary).toContain('(previous run)');
  });

  it('keeps only the last lines and the recent minutes asked for', async () => {
    write([
      { text: 'an hour ago', secondsAgo: 3600 },
      { text: 'ten minutes ago', secondsAgo: 600 },
      { text: 'a minute ago', secondsAgo: 60 },
      { text: 'just now', secondsAgo: 1 },
    ]);
    const tail = await w.call('get_pod_logs', { service: 'checkout', pod: healthy, tail_lines: 2 });
    expect(tail.data.lines).toEqual(['a minute ago', 'just now']);
    const recent = await w.call('get_pod_logs', { service: 'checkout', pod: healthy, since_minutes: 15 });
    expect(recent.data.lines).toEqual(['ten minutes ago', 'a minute ago', 'just now']);
  });

  it('redacts known secrets, key=value secrets and JWTs in log lines', async () => {
    const canary = 'CANARY-db-password-5e1c77';
    w.redactor.addSecret(canary);
    const jwt =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    write([
      { text: `level=error msg="db login failed" dsn=postgres://checkout:${canary}@orders-db/shop` },
      { text: `level=debug msg="calling payments" auth=${jwt}` },
      { text: 'level=warn msg="retry" api_key=sk-live-not-really-0001' },
    ]);
    const result = await w.call('get_pod_logs', { service: 'checkout', pod: healthy });
    const text = JSON.stringify(result);
    expect(text).not.toContain(canary);
    expect(text).not.toContain(jwt);
    expect(text).not.toContain('sk-live-not-really-0001');
    expect((result.data.lines as string[]).every((l) => l.includes(REDACTED))).toBe(true);
    expect(result.data.lines).toEqual([
      `level=error msg="db login failed" dsn=postgres://checkout:${REDACTED}@orders-db/shop`,
      `level=debug msg="calling payments" auth=${REDACTED}`,
      `level=warn msg="retry" api_key=${REDACTED}`,
    ]);
  });

  it('cuts a large log at 64 KiB and says so', async () => {
    write(
      Array.from({ length: 500 }, (_, i) => ({ text: `${String(i).padStart(4, '0')} ${'x'.repeat(250)}` })),
    );
    const result = await w.call('get_pod_logs', { service: 'checkout', pod: healthy, tail_lines: 500 });
    const lines = result.data.lines as string[];
    expect(result.data.truncated).toBe(true);
    expect(Buffer.byteLength(lines.join('\n'))).toBeLessThanOrEqual(MAX_LOG_BYTES);
    expect(lines.length).toBeLessThan(500);
    const [request] = w.emulator
      .requests({ method: 'GET', path: `/api/v1/namespaces/shop/pods/${healthy}/log` })
      .slice(-1);
    expect(request?.query).toMatchObject({ limitBytes: String(MAX_LOG_BYTES), tailLines: '500' });
  });

  it('refuses a pod that is not the service’s, and limits outside the bounds', async () => {
    const cartPod = w.shop.deployments.cart?.pods[0] ?? '';
    const other = await rejection(w.call('get_pod_logs', { service: 'checkout', pod: cartPod }));
    expect(other.code).toBe('kubernetes.pod_not_in_service');
    const missing = await rejection(
      w.call('get_pod_logs', { service: 'checkout', pod: 'checkout-gone-12345' }),
    );
    expect(missing.code).toBe('kubernetes.pod_not_in_service');
    expect(missing.message).toBe(other.message.replace(cartPod, 'checkout-gone-12345'));
    expect(w.emulator.requests({ path: `/api/v1/namespaces/shop/pods/${cartPod}/log` })).toEqual([]);
    for (const args of [
      { pod: healthy, tail_lines: 501 },
      { pod: healthy, since_minutes: 361 },
      { pod: '../secrets/payments-api' },
      { pod: healthy, namespace: 'kube-system' },
    ])
      expect((await rejection(w.call('get_pod_logs', { service: 'checkout', ...args }))).code).toBe(
        'tools.invalid_input',
      );
  });
});
