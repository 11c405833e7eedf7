import { ApiException, AppsV1Api, AutoscalingV2Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  createKubernetesEmulator,
  type EmulatorIdentity,
  type KubernetesEmulator,
  sampleShopWorld,
} from '../../../src/dev/kubernetes-emulator/index.ts';

/** Who the tests act as: Warden's broker (mints tokens), a reader, two service accounts, an admin. */
export const IDENTITIES: EmulatorIdentity[] = [
  {
    token: 'broker-token',
    user: 'warden-broker',
    rules: [
      {
        verbs: ['create'],
        resources: ['serviceaccounts/token'],
        namespaces: ['warden'],
        resourceNames: ['executor'],
      },
      { verbs: ['create', 'get', 'delete'], resources: ['secrets'], namespaces: ['warden'] },
    ],
  },
  {
    token: 'reader-token',
    user: 'warden-reader',
    rules: [
      {
        verbs: ['get', 'list'],
        resources: [
          'pods',
          'pods/log',
          'deployments',
          'deployments/scale',
          'replicasets',
          'events',
          'horizontalpodautoscalers',
        ],
        namespaces: ['shop'],
      },
    ],
  },
  {
    serviceAccount: { namespace: 'warden', name: 'executor' },
    rules: [
      {
        verbs: ['get', 'list', 'patch'],
        resources: ['deployments', 'deployments/scale'],
        namespaces: ['shop'],
      },
      { verbs: ['update'], resources: ['deployments/scale'], namespaces: ['shop'] },
      { verbs: ['get', 'list'], resources: ['replicasets', 'pods'], namespaces: ['shop'] },
    ],
  },
  {
    serviceAccount: { namespace: 'warden', name: 'auditor' },
    rules: [{ verbs: ['get', 'list'], resources: ['deployments'], namespaces: ['shop'] }],
  },
  {
    token: 'admin-token',
    user: 'cluster-admin',
    rules: [{ verbs: ['*'], resources: ['*'], namespaces: ['*'] }],
  },
];

/** The real client's APIs, configured for the emulator with a bearer token (or none). */
export function clientsFor(emulator: KubernetesEmulator, token?: string) {
  const kc = new KubeConfig();
  kc.loadFromOptions(emulator.kubeConfigOptions(token === undefined ? {} : { token }));
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV2Api),
  };
}

/** Starts an emulator with the sample `shop` world seeded; `now` is a settable clock. */
export async function startKubernetes({ start = Date.now() }: { start?: number } = {}) {
  const clock = { now: start };
  const emulator = createKubernetesEmulator({ identities: IDENTITIES, clock: () => clock.now });
  await emulator.start();
  const shop = emulator.seed(sampleShopWorld());
  return {
    emulator,
    shop,
    clock,
    admin: clientsFor(emulator, 'admin-token'),
    reader: clientsFor(emulator, 'reader-token'),
  };
}

/** The `ApiException` a call rejected with: its status code and the parsed Status body (if any). */
export async function failure(
  call: Promise<unknown>,
): Promise<{ code: number; status: Record<string, any> | undefined }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body = error.body as unknown;
    const status =
      typeof body === 'string' && body !== '' ? JSON.parse(body) : (body as Record<string, any> | undefined);
    return { code: error.code, status };
  }
  throw new Error('expected the call to fail');
}
