import type { ConnectionSpec, ServiceSpec } from '../../../../src/catalog/catalog.schemas.ts';
import {
  createKubernetesEmulator,
  type EmulatorIdentity,
  sampleShopWorld,
} from '../../../../src/dev/kubernetes-emulator/index.ts';
import { createManualClock } from '../../../../src/shared/clock.ts';
import { causesOf } from '../../../../src/shared/errors.ts';
import { createRedactor } from '../../../../src/shared/redact.ts';
import { leaseSecretName } from '../../../../src/systems/kubernetes/kubernetes.lease.ts';
import { createCatalogHarness } from '../catalog.harness.ts';
import { shippedIdentities } from './rbac.fixture.ts';

/** The broker's token: a canary that must never show up in a message, a result or a log line. */
export const BROKER_TOKEN = 'CANARY-broker-3f9d61b0c2e84a7d';
const BROKER_ENV = 'WARDEN_TEST_CLUSTER_BROKER_TOKEN';
export const CLUSTER = 'prod-cluster';

/** checkout and cart run in `shop` on the cluster in production; billing has no Kubernetes section. */
export function shopServices(): ServiceSpec[] {
  const workload = (name: string) => ({
    kubernetes: { connection: CLUSTER, namespace: 'shop', deployment: name, pod_labels: { app: name } },
  });
  return [
    {
      service: 'checkout',
      owner_channel: 'C0CHECKOUT',
      environments: { production: workload('checkout') },
      queries: {},
    },
    { service: 'cart', owner_channel: 'C0CART', environments: { production: workload('cart') }, queries: {} },
    { service: 'billing', owner_channel: 'C0BILLING', environments: { production: {} }, queries: {} },
  ];
}

/** The catalog connection to a cluster at `url`, its broker token read from the test's env. */
export function clusterConnection(url: string, executor: Partial<ExecutorSpec> = {}): ConnectionSpec {
  return {
    kind: 'kubernetes',
    url,
    token: { env: BROKER_ENV },
    executor: {
      namespace: 'warden',
      read_account: 'warden-reader',
      write_account: 'warden-executor',
      ...executor,
    },
  };
}
type ExecutorSpec = Extract<ConnectionSpec, { kind: 'kubernetes' }>['executor'];

/**
 * The emulator seeded with the sample `shop` world, its identities those of the shipped RBAC (unless
 * given), and the catalog harness over it; one manual clock drives both. Close with `close()`.
 */
export async function startKubernetesWorld({
  identities = shippedIdentities({ brokerToken: BROKER_TOKEN }),
  url,
  executor,
}: {
  identities?: EmulatorIdentity[];
  /** Point the connection elsewhere (an unreachable port, https on a plain port). */
  url?: (emulatorUrl: string) => string;
  executor?: Partial<ExecutorSpec>;
} = {}) {
  const clock = createManualClock(new Date());
  const emulator = createKubernetesEmulator({ identities, clock: () => clock.now().getTime() });
  await emulator.start();
  const shop = emulator.seed(sampleShopWorld());
  const redactor = createRedactor();
  const harness = await createCatalogHarness({
    services: shopServices(),
    connections: { [CLUSTER]: clusterConnection(url ? url(emulator.url) : emulator.url, executor) },
    env: { [BROKER_ENV]: BROKER_TOKEN },
    clock,
    redactor,
  });
  const access = harness.systems.kubernetes(CLUSTER);
  if (!access) throw new Error('no Kubernetes access for the test cluster');
  return {
    emulator,
    shop,
    clock,
    redactor,
    harness,
    access,
    call: harness.call,
    /** Names of the lease Secrets now in the executor namespace. */
    leases: () =>
      emulator.store
        .list('Secret', 'warden')
        .map((s) => s.metadata?.name ?? '')
        .filter((n) => n.startsWith('warden-lease-')),
    leaseOf: leaseSecretName,
    checkout: () => emulator.store.get('Deployment', 'shop', 'checkout'),
    close: async () => {
      await harness.close();
      await emulator.close();
    },
  };
}
export type KubernetesWorld = Awaited<ReturnType<typeof startKubernetesWorld>>;

/** Whether an error shows the broker token: in its message, its details or its stack, or in a cause's. */
export function showsBrokerToken(error: unknown): boolean {
  return [...causesOf(error)].some((at) => {
    const { message, details, stack } = at as { message?: unknown; details?: unknown; stack?: unknown };
    return `${JSON.stringify({ message, details, stack })}${String(at)}`.includes(BROKER_TOKEN);
  });
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string; details: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}
