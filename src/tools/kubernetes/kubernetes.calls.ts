import type { z } from 'zod';
import type { KubernetesSession } from '../../systems/kubernetes/kubernetes.access.ts';
import { type CatalogCall, connectionUnavailable, notInCatalog } from '../catalog.calls.ts';
import type { ToolDefinition, ToolInfo, ToolResult, VerifiedEffect } from '../define.ts';
import { sessionTool } from '../session-tool.ts';
import type { ToolDeps } from '../tool-spec.ts';
import { labelSelector } from './kubernetes.format.ts';

/** Where the catalog places the service's workload: never an argument the model chose. */
export type Workload = {
  connection: string;
  namespace: string;
  deployment: string;
  podLabels: Record<string, string>;
  /** `podLabels` as a label selector string. */
  podSelector: string;
};

/** What a Kubernetes tool's body receives: the catalog call, the workload, and a session for this proposal. */
export type KubernetesCall<Input> = CatalogCall<Input> & { workload: Workload; k8s: KubernetesSession };

type KubernetesToolInfo<Input extends { service: string }> = Omit<ToolInfo, 'input'> & {
  input: z.ZodType<Input>;
};

/**
 * A tool acting on the service's Deployment in the cluster the catalog names. Reads get a session with
 * the read account's token, writes with the write account's; the session (and so the token) is closed
 * when the body ends, whatever happened (`sessionTool`).
 */
export function kubernetesTool<Input extends { service: string }>({
  info,
  deps,
  run,
  verify,
}: {
  info: KubernetesToolInfo<Input>;
  deps: ToolDeps;
  run: (call: KubernetesCall<Input>) => Promise<ToolResult>;
  /** For a write: whether an earlier call with this key took effect, read with the read account. */
  verify?: (call: KubernetesCall<Input>) => Promise<VerifiedEffect>;
}): ToolDefinition {
  const open = async (call: CatalogCall<Input>, access: 'read' | 'write') => {
    const spec = call.target.systems.kubernetes;
    if (!spec) throw notInCatalog({ target: call.target, system: 'kubernetes' });
    const cluster = deps.systems.kubernetes(spec.connection);
    if (!cluster) throw connectionUnavailable({ connection: spec.connection });
    const workload: Workload = {
      connection: spec.connection,
      namespace: spec.namespace,
      deployment: spec.deployment,
      podLabels: spec.pod_labels,
      podSelector: labelSelector(spec.pod_labels),
    };
    const k8s = await cluster.session({
      proposalId: call.context.proposalId,
      access,
      signal: call.context.signal,
    });
    return { ...call, workload, k8s };
  };
  return sessionTool<Input, KubernetesCall<Input>>({
    info,
    deps,
    open: (call, purpose) => open(call, purpose === 'run' && info.kind === 'write' ? 'write' : 'read'),
    close: (call) => call.k8s.close(),
    credential: { name: 'per-proposal token', life: 'within 10 minutes' },
    run,
    ...(verify ? { verify } : {}),
  });
}
