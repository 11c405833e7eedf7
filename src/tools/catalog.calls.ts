import { z } from 'zod';
import type { ServiceTarget } from '../catalog/catalog.ts';
import { type WardenError, wardenError } from '../shared/errors.ts';
import {
  defineTool,
  type ToolContext,
  type ToolDefinition,
  type ToolInfo,
  type ToolResult,
  type VerifiedEffect,
} from './define.ts';
import type { ToolDeps } from './tool-spec.ts';

/** A service argument: a name the catalog must know (the tool refuses any other; it never guesses). */
export const catalogServiceSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a service name from the service catalog, such as checkout');

/** What a catalog tool's body receives: its validated input, the call's context and where the service lives. */
export type CatalogCall<Input> = {
  args: Input;
  context: ToolContext;
  target: ServiceTarget;
  deps: ToolDeps;
};

/** A tool description whose input names the service it acts on (every catalog tool's does). */
type CatalogToolInfo<Input extends { service: string }> = Omit<ToolInfo, 'input'> & {
  input: z.ZodType<Input>;
};

/**
 * A tool that acts on a real system the service catalog names. Before `run`: the call must not be
 * cancelled, its credential must be a live lease for this tool, environment and proposal, and the catalog
 * must place the service in the environment (else a clear refusal, never a guess). After: the result is
 * redacted, and a cancellation that arrived meanwhile is reported as such.
 */
export function catalogTool<Input extends { service: string }>({
  info,
  deps,
  run,
  verify,
}: {
  info: CatalogToolInfo<Input>;
  deps: ToolDeps;
  run: (call: CatalogCall<Input>) => Promise<ToolResult>;
  /** For a write: whether an earlier call with this idempotency key took effect (see `VerifiedEffect`). */
  verify?: (call: CatalogCall<Input>) => Promise<VerifiedEffect>;
}): ToolDefinition {
  const prepare = async (args: Input, context: ToolContext): Promise<CatalogCall<Input>> => {
    throwIfCancelled(context.signal);
    await deps.broker.verify({
      token: context.credential,
      tool: info.name,
      environment: context.environment,
      proposalId: context.proposalId,
    });
    const found = deps.catalog.target({ service: args.service, environment: context.environment });
    if (!found.ok)
      throw wardenError({
        code: 'catalog.unknown_target',
        message: found.message,
        details: { service: args.service, environment: context.environment },
      });
    return { args, context, target: found.value, deps };
  };
  return defineTool<Input>({
    ...info,
    execute: async (args, context) => {
      const result = await run(await prepare(args, context));
      if (info.kind === 'read') throwIfCancelled(context.signal);
      return deps.redactor.redactValue(result);
    },
    ...(verify
      ? {
          verify: async (args: Input, context: ToolContext) => {
            const found = await verify(await prepare(args, context));
            return found.effect === 'present'
              ? { effect: 'present', result: deps.redactor.redactValue(found.result) }
              : { effect: found.effect, summary: deps.redactor.redactText(found.summary) };
          },
        }
      : {}),
  });
}

/** A refusal because the catalog names no system of this kind for the service here. */
export function notInCatalog({
  target,
  system,
}: {
  target: ServiceTarget;
  system: 'kubernetes' | 'prometheus' | 'alertmanager';
}): WardenError {
  return wardenError({
    code: 'catalog.no_system',
    message: `The service catalog names no ${system === 'kubernetes' ? 'Kubernetes workload' : system === 'prometheus' ? 'Prometheus' : 'Alertmanager'} for ${target.service} in ${target.environment}.`,
    details: { service: target.service, environment: target.environment, system },
  });
}

/** A refusal because the catalog's connection for the service could not be set up at start. */
export function connectionUnavailable({ connection }: { connection: string }): WardenError {
  return wardenError({
    code: 'catalog.connection_unavailable',
    message: `The connection ${connection} is not available (its secret could not be read at start; see \`npx warden connections check\`).`,
    details: { connection },
  });
}

/** Throws `tools.aborted` when the kill switch cancelled the call. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted)
    throw wardenError({
      code: 'tools.aborted',
      message: 'The call was cancelled before it finished.',
      cause: signal.reason,
    });
}
