import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { refusedAddress, refusedName } from '../../../src/systems/runbook.addresses.ts';
import { signWebhook } from '../../../src/systems/runbook.signing.ts';

describe('Standard Webhooks signatures', () => {
  it("match the specification's published example vector", () => {
    expect(
      signWebhook({
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
        body: '{"test": 2432232314}',
      }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('match an HMAC computed here with node:crypto, for a whsec_ secret and a plain one', () => {
    const key = Buffer.from('c2VjcmV0LWtleS1ieXRlcy0wMTIzNDU2Nzg5', 'base64');
    const body = '{"type":"runbook.requested","data":{"runbook":"flush_cache"}}';
    const expected = createHmac('sha256', key).update(`prp_abc.1700000000.${body}`).digest('base64');
    expect(
      signWebhook({ secret: `whsec_${key.toString('base64')}`, id: 'prp_abc', timestamp: 1700000000, body }),
    ).toBe(`v1,${expected}`);
    const plain = createHmac('sha256', 'plain-secret').update(`prp_abc.1700000000.${body}`).digest('base64');
    expect(signWebhook({ secret: 'plain-secret', id: 'prp_abc', timestamp: 1700000000, body })).toBe(
      `v1,${plain}`,
    );
  });
});

describe('runbook addresses', () => {
  const loopbackRefused = { allowLoopback: false };
  it.each([
    '169.254.169.254',
    '169.254.0.1',
    'fe80::1',
    'febf::1',
    '::ffff:169.254.169.254',
    'fd00:ec2::254',
    '0.0.0.0',
    '::',
    '224.0.0.1',
  ])('refuses %s always', (address) => {
    expect(refusedAddress(address, { allowLoopback: true })).not.toBeNull();
  });

  it('refuses loopback unless allowed, and lets ordinary addresses through', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(refusedAddress(address, loopbackRefused)).toMatch(/loopback/);
      expect(refusedAddress(address, { allowLoopback: true })).toBeNull();
    }
    for (const address of ['10.1.2.3', '192.168.1.10', '93.184.216.34', '2001:db8::1', 'fec0::1'])
      expect(refusedAddress(address, loopbackRefused)).toBeNull();
  });

  it('refuses metadata host names before any look-up', () => {
    expect(refusedName('metadata.google.internal')).toMatch(/metadata/);
    expect(refusedName('METADATA.google.internal.')).toMatch(/metadata/);
    expect(refusedName('runbooks.example.com')).toBeNull();
  });
});
