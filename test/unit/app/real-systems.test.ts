import { describe, expect, it } from 'vitest';
import { setUpRealSystems } from '../../../src/app/real-systems.ts';
import type { ConnectionSpec, ServiceSpec } from '../../../src/catalog/catalog.schemas.ts';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { isWardenError } from '../../../src/shared/errors.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { repoRoot } from '../../helpers/services.ts';

const realTriage = loadCharters({ dir: `${repoRoot}/examples/charters` }).charters;
const sandboxCharters = loadCharters({ dir: `${repoRoot}/charters` }).charters;

const connections: Record<string, ConnectionSpec> = {
  cluster: {
    kind: 'kubernetes',
    url: 'https://k8s.example:6443',
    token: { env: 'BROKER_TOKEN' },
    executor: { namespace: 'warden', read_account: 'warden-reader', write_account: 'warden-executor' },
  },
  prom: { kind: 'prometheus', url: 'http://prometheus:9090' },
  am: { kind: 'alertmanager', url: 'http://am:9093', auth: { bearer: { env: 'AM_TOKEN' } } },
};
const checkout: ServiceSpec = {
  service: 'checkout',
  owner_channel: 'C0CHECKOUT',
  environments: {
    production: {
      kubernetes: {
        connection: 'cluster',
        namespace: 'shop',
        deployment: 'checkout',
        pod_labels: { app: 'checkout' },
      },
      prometheus: { connection: 'prom', labels: { service: 'checkout' } },
      alertmanager: { connection: 'am', matchers: { service: 'checkout' } },
    },
  },
  queries: {},
};

const setUp = ({
  services = [checkout],
  env = { BROKER_TOKEN: 'CANARY-broker-1a2b3c', AM_TOKEN: 'CANARY-am-4d5e6f' },
  charters = realTriage,
}: {
  services?: ServiceSpec[];
  env?: Record<string, string>;
  charters?: typeof realTriage;
} = {}) =>
  setUpRealSystems({
    catalogDir: '/nonexistent',
    catalog: createCatalog({ services, connections }),
    env,
    charters,
    redactor: createRedactor(),
    clock: createManualClock(),
  });

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isWardenError(error, 'catalog.connection_missing')) return error.message;
    throw error;
  }
  throw new Error('expected Warden to refuse to start');
}

describe('setting up the real systems at start', () => {
  it('uses the sandbox world without a catalog service, and names charter tools it does not have', () => {
    const real = setUp({
      services: [],
      charters: [...sandboxCharters, ...realTriage.map((c) => ({ ...c, agent: 'real' }))],
    });
    expect(real.world).toBe('sandbox');
    expect(real.unavailableTools).toContainEqual({ agent: 'real', tool: 'rollout_undo' });
    expect(real.unavailableTools.filter((t) => t.agent !== 'real')).toEqual([]);
  });

  it('uses the catalog world with every connection in place, and the clients exist', () => {
    const real = setUp();
    expect(real.world).toBe('catalog');
    expect(real.unavailableTools).toEqual([]);
    expect(real.systems.kubernetes('cluster')).not.toBeNull();
    expect(real.systems.prometheus('prom')).not.toBeNull();
    expect(real.systems.alertmanager('am')).not.toBeNull();
  });

  it('refuses to start when a charter tool needs a connection whose secret is missing, saying which', () => {
    const message = refusal(() => setUp({ env: { AM_TOKEN: 'CANARY-am-4d5e6f' } }));
    expect(message).toContain(
      'charter triage lets rollout_undo run in production, where checkout needs connection cluster',
    );
    expect(message).toContain('BROKER_TOKEN, which is not set');
    expect(message).not.toContain('get_service_health');
    expect(message).not.toContain('CANARY');
  });

  it('starts when the connection that is missing is one no charter tool needs', () => {
    const onlyMetrics = realTriage.map((c) => ({
      ...c,
      tools: Object.fromEntries(
        Object.entries(c.tools).filter(([t]) => ['get_service_health', 'query_metric'].includes(t)),
      ),
    }));
    const real = setUp({ env: {}, charters: onlyMetrics });
    expect(real.world).toBe('catalog');
    // The unusable connections have no client: a call would be refused as unavailable.
    expect(real.systems.kubernetes('cluster')).toBeNull();
    expect(real.systems.alertmanager('am')).toBeNull();
  });
});
