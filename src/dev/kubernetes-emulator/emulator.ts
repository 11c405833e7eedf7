import { createAccess } from './access.ts';
import { createDeploymentController } from './controller.ts';
import type { KubernetesEmulatorOptions, RecordedRequest, StoredKind } from './emulator.types.ts';
import { createFaults } from './faults.ts';
import type { LogLine } from './logs.ts';
import { createLogStore } from './logs.ts';
import { buildPod, type PodHealth } from './pod-factory.ts';
import { seedCluster } from './seed.ts';
import type { SeedResult, SeedSpec } from './seed.types.ts';
import { createKubernetesServer } from './server.ts';
import { createClusterStore, type KindTypes, keyOf } from './store.ts';
import { createTokenIssuer, DEFAULT_API_AUDIENCE } from './tokens.ts';

/**
 * A local Kubernetes API server for Warden's tests: the namespaced paths Warden's tools use (pods and
 * logs, deployments with patch and scale, replicasets, events, HPAs, secrets, TokenRequest), served to
 * `@kubernetes/client-node` over HTTP, with schema validation (`kubernetes-models`), RBAC, token rules,
 * an instant Deployment controller, a request log and fault injection.
 */
export function createKubernetesEmulator(options: KubernetesEmulatorOptions) {
  const clock = options.clock ?? Date.now;
  const apiAudiences = options.apiAudiences ?? [DEFAULT_API_AUDIENCE];
  const store = createClusterStore({ clock });
  const logs = createLogStore();
  const controller = createDeploymentController({ store, logs });
  const tokens = createTokenIssuer({ clock });
  const faults = createFaults();
  const access = createAccess({ identities: options.identities, store, tokens, clock, apiAudiences });
  const recorded: RecordedRequest[] = [];
  const errors: unknown[] = [];
  const server = createKubernetesServer({
    cluster: { store, logs, controller, tokens, apiAudiences },
    access,
    faults,
    clock,
    record: (request) => recorded.push(request),
    onError: (error) => errors.push(error),
  });
  let url: string | undefined;

  // A service account named by an identity exists from the start, so it can be issued tokens.
  for (const identity of options.identities)
    if ('serviceAccount' in identity) {
      const { namespace, name } = identity.serviceAccount;
      store.addNamespace(namespace);
      if (!store.get('ServiceAccount', namespace, name))
        store.create('ServiceAccount', {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name, namespace },
        });
    }

  return {
    /** Listens on 127.0.0.1 on a free port; resolves with the server URL. */
    async start(): Promise<{ url: string }> {
      url = await server.start();
      return { url };
    },
    async close(): Promise<void> {
      await server.stop();
      url = undefined;
    },
    /** The server URL (`http://127.0.0.1:<port>`), for the kubeconfig cluster's `server`. */
    get url(): string {
      if (!url) throw new Error('kubernetes emulator: call start() first');
      return url;
    },
    /** Options for `KubeConfig.loadFromOptions`: one cluster (this server), one user with `token` if given. */
    kubeConfigOptions({ token, namespace = 'default' }: { token?: string; namespace?: string } = {}) {
      if (!url) throw new Error('kubernetes emulator: call start() first');
      return {
        clusters: [{ name: 'emulator', server: url, skipTLSVerify: true }],
        users: [{ name: 'warden', ...(token === undefined ? {} : { token }) }],
        contexts: [{ name: 'emulator', cluster: 'emulator', user: 'warden', namespace }],
        currentContext: 'emulator',
      };
    },
    /** Adds objects to a namespace; see `SeedSpec`. Returns the names it created. */
    seed: (spec: SeedSpec): SeedResult => seedCluster({ store, logs, controller }, spec),

    /** Stored objects, as copies (with `apiVersion` and `kind`, unlike list items on the wire). */
    store: {
      get: <K extends StoredKind>(kind: K, namespace: string, name: string): KindTypes[K] | undefined =>
        store.get(kind, namespace, name),
      list: <K extends StoredKind>(kind: K, namespace: string): KindTypes[K][] => store.list(kind, namespace),
    },
    /** Removes an object behind the API's back (e.g. a bound Secret or Pod, to test token revocation). */
    deleteObject({ kind, namespace, name }: { kind: StoredKind; namespace: string; name: string }): boolean {
      if (kind === 'Pod') logs.forgetPod(namespace, name);
      return store.remove(kind, namespace, name) !== undefined;
    },
    /** Sets a pod's health (e.g. make a restarted pod crash), then lets the controller update statuses. */
    setPodHealth({ namespace, name, health }: { namespace: string; name: string; health: PodHealth }): void {
      const pod = store.get('Pod', namespace, name);
      const owner = pod?.metadata?.ownerReferences?.[0];
      const rs = owner ? store.get('ReplicaSet', namespace, owner.name) : undefined;
      if (!pod || !owner || !rs)
        throw new Error(`kubernetes emulator: no pod ${namespace}/${name} owned by a ReplicaSet`);
      const { uid } = keyOf(pod);
      const next = buildPod({
        namespace,
        name,
        uid,
        template: rs.spec?.template ?? {},
        owner,
        health,
        now: clock(),
      });
      store.update('Pod', {
        ...next,
        metadata: { ...next.metadata, creationTimestamp: pod.metadata?.creationTimestamp },
      });
      const deployment = rs.metadata?.ownerReferences?.[0];
      if (deployment) controller.reconcile({ namespace, name: deployment.name });
    },
    /** Container logs: replace a run's lines or append to the current run. */
    logs: {
      write: (entry: {
        namespace: string;
        pod: string;
        container: string;
        lines: LogLine[];
        previous?: boolean;
      }) => logs.write(entry),
      append: (entry: { namespace: string; pod: string; container: string; lines: LogLine[] }) =>
        logs.append(entry),
    },
    /** Rollout pacing per Deployment: instant by default; `hold` keeps the next rollouts in progress. */
    rollouts: { hold: controller.hold, complete: controller.complete, fail: controller.fail },

    /** Every request received, oldest first (optionally only those matching method and/or path). */
    requests({ method, path }: { method?: string; path?: string | RegExp } = {}): RecordedRequest[] {
      return structuredClone(
        recorded.filter(
          (r) =>
            (method === undefined || r.method === method.toUpperCase()) &&
            (path === undefined || (typeof path === 'string' ? r.path === path : path.test(r.path))),
        ),
      );
    },
    /** The claims of every TokenRequest token issued, oldest first. */
    issuedTokens: tokens.issued,
    /** Errors thrown inside the emulator (its own bugs, answered 500): a test should expect none. */
    errors: (): unknown[] => [...errors],
    faults: {
      failNext: faults.failNext,
      dropNext: faults.dropNext,
      setLatency: faults.setLatency,
      clear: faults.clear,
    },
  };
}
export type KubernetesEmulator = ReturnType<typeof createKubernetesEmulator>;
