import type { z } from 'zod';
import { rootMessage } from '../../shared/errors.ts';
import type { KubernetesSession } from '../../systems/kubernetes/kubernetes.access.ts';
import { type CatalogCall, catalogTool, connectionUnavailable, notInCatalog } from '../catalog.calls.ts';
import type { ToolDefinition, ToolInfo, ToolResult, VerifiedEffect } from '../define.ts';
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
 * when the body ends, whatever happened. A failure to revoke after a successful body does not turn the
 * result into a failure (the effect happened): the result carries a warning instead.
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
  return catalogTool<Input>({
    info,
    deps,
    ...(verify
      ? {
          verify: async (call: CatalogCall<Input>) => {
            const opened = await open(call, 'read');
            try {
              return await verify(opened);
            } finally {
              await opened.k8s.close().catch(() => {});
            }
          },
        }
      : {}),
    run: async (call) => {
      const { workload, k8s } = await open(call, info.kind === 'write' ? 'write' : 'read');
      let result: ToolResult;
      try {
        result = await run({ ...call, workload, k8s });
      } catch (error) {
        // The body's failure is the one to report; the token dies within 10 minutes regardless.
        await k8s.close().catch(() => {});
        throw error;
      }
      try {
        await k8s.close();
      } catch (error) {
        const warning = `The per-proposal token could not be revoked (${rootMessage(error)}); it expires within 10 minutes.`;
        const warnings = Array.isArray(result.data.warnings) ? result.data.warnings : [];
        return { ...result, data: { ...result.data, warnings: [...warnings, warning] } };
      }
      return result;
    },
  });
}
