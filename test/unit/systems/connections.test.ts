import { describe, expect, it } from 'vitest';
import type { ConnectionSpec } from '../../../src/catalog/catalog.schemas.ts';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { resolveConnections } from '../../../src/systems/connections.ts';

const CANARY = 'CANARY-am-bearer-7f3a9c2e';
const BROKER = 'CANARY-broker-token-51d0e8';

const connections: Record<string, ConnectionSpec> = {
  cluster: {
    kind: 'kubernetes',
    url: 'https://k8s.example:6443',
    ca_file: '/etc/warden/ca.crt',
    token: { env: 'K8S_BROKER_TOKEN' },
    executor: { namespace: 'warden', read_account: 'reader', write_account: 'executor' },
  },
  prom: { kind: 'prometheus', url: 'http://prometheus:9090/' },
  am: { kind: 'alertmanager', url: 'http://am:9093', auth: { bearer: { file: '/run/secrets/am' } } },
  basic: {
    kind: 'prometheus',
    url: 'http://thanos:9090',
    auth: { basic: { username: 'warden', password: { env: 'THANOS_PASSWORD' } } },
  },
};

const files: Record<string, string> = { '/etc/warden/ca.crt': 'PEM', '/run/secrets/am': `${CANARY}\n` };
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
  return text;
};

describe('connections', () => {
  it('reads each secret from its source, without the trailing new line, and tells the redactor', () => {
    const redactor = createRedactor();
    const { connections: resolved, problems } = resolveConnections({
      catalog: createCatalog({ services: [], connections }),
      env: { K8S_BROKER_TOKEN: BROKER, THANOS_PASSWORD: 'CANARY-thanos-pw-0042' },
      redactor,
      readFile,
    });
    expect(problems).toEqual([]);
    expect(resolved.get('cluster')).toMatchObject({ brokerToken: BROKER, caPem: 'PEM' });
    expect(resolved.get('prom')).toEqual({
      name: 'prom',
      kind: 'prometheus',
      url: 'http://prometheus:9090',
      auth: null,
    });
    expect(resolved.get('am')).toMatchObject({ auth: { kind: 'bearer', token: CANARY } });
    expect(resolved.get('basic')).toMatchObject({ auth: { kind: 'basic', username: 'warden' } });
    expect(redactor.redactText(`a ${BROKER} b ${CANARY} c CANARY-thanos-pw-0042`)).toBe(
      'a [REDACTED] b [REDACTED] c [REDACTED]',
    );
  });

  it('leaves out a connection whose secret is missing and says which source and why, never a value', () => {
    const { connections: resolved, problems } = resolveConnections({
      catalog: createCatalog({ services: [], connections }),
      env: { THANOS_PASSWORD: '' },
      redactor: createRedactor(),
      readFile: (path) => (path === '/run/secrets/am' ? '\n' : readFile(path)),
    });
    expect([...resolved.keys()]).toEqual(['prom']);
    expect(problems).toEqual([
      {
        connection: 'cluster',
        message: 'cluster: the broker token comes from K8S_BROKER_TOKEN, which is not set',
      },
      { connection: 'am', message: 'am: the bearer token file /run/secrets/am is empty' },
      {
        connection: 'basic',
        message: 'basic: the basic-auth password comes from THANOS_PASSWORD, which is not set',
      },
    ]);
  });

  it('names an unreadable CA or secret file with the reason', () => {
    const { problems } = resolveConnections({
      catalog: createCatalog({ services: [], connections }),
      env: { K8S_BROKER_TOKEN: BROKER, THANOS_PASSWORD: 'x-password' },
      redactor: createRedactor(),
      readFile: (path) => {
        throw Object.assign(new Error(path), { code: path.endsWith('.crt') ? 'EACCES' : 'ENOENT' });
      },
    });
    expect(problems.map((p) => p.message)).toEqual([
      'cluster: cannot read the cluster CA file /etc/warden/ca.crt (permission denied)',
      'am: the bearer token file /run/secrets/am cannot be read (no such file)',
    ]);
  });
});
