import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWardenError } from '../../../src/shared/errors.ts';
import { createRunbookClient, type Resolve } from '../../../src/systems/runbook.client.ts';
import type { RunbooksConnection } from '../../../src/systems/runbook.types.ts';
import { startRunbookReceiver } from './runbook-receiver.ts';

const KEY = Buffer.from('CANARY-runbook-signing-key-61c0b9d2');
const SECRET = `whsec_${KEY.toString('base64')}`;
const NOW = new Date('2026-12-05T18:00:00Z');

function connection(overrides: Partial<RunbooksConnection> = {}): RunbooksConnection {
  return {
    name: 'runbooks',
    kind: 'runbooks',
    signingSecret: SECRET,
    allowLoopback: true,
    timeoutMs: 1_000,
    maxResponseBytes: 1_024,
    ...overrides,
  };
}

describe('the runbook webhook client', () => {
  let receiver: Awaited<ReturnType<typeof startRunbookReceiver>>;
  beforeAll(async () => {
    receiver = await startRunbookReceiver();
  });
  afterAll(() => receiver?.close());

  const client = (overrides: Partial<RunbooksConnection> = {}, resolve?: Resolve) =>
    createRunbookClient({
      connection: connection(overrides),
      now: () => NOW,
      ...(resolve ? { resolve } : {}),
    });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => e,
    );

  it('POSTs a Standard Webhooks message whose signature verifies with the key, computed independently', async () => {
    const answer = await client().post({
      url: `${receiver.url}/ok`,
      id: 'prp_signed1',
      payload: { type: 'runbook.requested' },
    });
    expect(answer).toEqual({ status: 202, body: '{"accepted":true}', truncated: false });
    const got = receiver.received.find((r) => r.headers['webhook-id'] === 'prp_signed1')!;
    expect(got.headers['webhook-timestamp']).toBe(String(NOW.getTime() / 1000));
    const expected = createHmac('sha256', KEY)
      .update(`prp_signed1.${got.headers['webhook-timestamp']}.${got.body}`)
      .digest('base64');
    expect(got.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(JSON.stringify(got.headers)).not.toContain(KEY.toString('base64'));
  });

  it('refuses loopback unless the connection allows it, before connecting', async () => {
    const before = receiver.received.length;
    const refused = await failure(
      client({ allowLoopback: false }).post({ url: `${receiver.url}/ok`, id: 'x', payload: {} }),
    );
    expect(isWardenError(refused, 'runbooks.refused_address')).toBe(true);
    const named = await failure(
      client({ allowLoopback: false }).post({
        url: `http://localhost:${receiver.port}/ok`,
        id: 'x',
        payload: {},
      }),
    );
    expect(isWardenError(named, 'runbooks.refused_address')).toBe(true);
    expect(receiver.received.length).toBe(before);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/hook',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://[::ffff:169.254.169.254]/',
  ])('refuses %s even with loopback allowed', async (url) => {
    const refused = await failure(client().post({ url, id: 'x', payload: {} }));
    expect(isWardenError(refused, 'runbooks.refused_address')).toBe(true);
  });

  it('resolves a name first and refuses it when any of its addresses is refused', async () => {
    const looked: string[] = [];
    const resolve: Resolve = async (host) => {
      looked.push(host);
      return host === 'evil.example'
        ? [
            { address: '10.0.0.5', family: 4 },
            { address: '169.254.169.254', family: 4 },
          ]
        : [{ address: '127.0.0.1', family: 4 }];
    };
    const refused = await failure(
      client({}, resolve).post({ url: 'http://evil.example/hook', id: 'x', payload: {} }),
    );
    expect(isWardenError(refused, 'runbooks.refused_address')).toBe(true);
    // A good name connects to the address it resolved to (pinned: no second look-up can change it).
    const answer = await client({}, resolve).post({
      url: `http://runbooks.test:${receiver.port}/ok`,
      id: 'prp_named',
      payload: {},
    });
    expect(answer.status).toBe(202);
    expect(looked).toEqual(['evil.example', 'runbooks.test']);
    expect(receiver.received.at(-1)?.headers.host).toBe(`runbooks.test:${receiver.port}`);
  });

  it('does not follow a redirect', async () => {
    const refused = await failure(client().post({ url: `${receiver.url}/redirect`, id: 'x', payload: {} }));
    expect(isWardenError(refused, 'runbooks.redirect_refused')).toBe(true);
    expect(receiver.hits('/target')).toBe(0);
  });

  it('cuts off an oversized answer at the cap, and ends a slow one at the time limit', async () => {
    const huge = await client().post({ url: `${receiver.url}/huge`, id: 'x', payload: {} });
    expect(huge).toMatchObject({ status: 200, truncated: true });
    expect(huge.body.length).toBe(1_024);
    const slow = await failure(
      client({ timeoutMs: 300 }).post({ url: `${receiver.url}/slow`, id: 'x', payload: {} }),
    );
    expect(isWardenError(slow, 'system.timeout')).toBe(true);
  });

  it('stops at once when the call is cancelled (the kill switch)', async () => {
    const controller = new AbortController();
    const call = failure(
      client({ timeoutMs: 30_000 }).post({
        url: `${receiver.url}/slow`,
        id: 'x',
        payload: {},
        signal: controller.signal,
      }),
    );
    controller.abort();
    expect(isWardenError(await call, 'tools.aborted')).toBe(true);
  });
});
