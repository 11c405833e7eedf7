import type { z } from 'zod';
import { rootMessage } from '../shared/errors.ts';
import { type CatalogCall, catalogTool } from './catalog.calls.ts';
import type { ToolDefinition, ToolInfo, ToolResult, VerifiedEffect } from './define.ts';
import type { ToolDeps } from './tool-spec.ts';

type SessionToolInfo<Input extends { service: string }> = Omit<ToolInfo, 'input'> & {
  input: z.ZodType<Input>;
};

/**
 * A catalog tool whose system mints a credential for each call (a session: Kubernetes' bound token,
 * GitHub's installation token). `open` makes the session for the body (`verify` gets its own, read-only);
 * `close` revokes it when the body ends, whatever happened. A failure to revoke after a successful body
 * does not turn the result into a failure (the effect happened): the result carries a warning naming the
 * credential and how long it stays usable.
 */
export function sessionTool<Input extends { service: string }, Call extends CatalogCall<Input>>({
  info,
  deps,
  open,
  close,
  credential,
  run,
  verify,
}: {
  info: SessionToolInfo<Input>;
  deps: ToolDeps;
  open: (call: CatalogCall<Input>, purpose: 'run' | 'verify') => Promise<Call>;
  close: (call: Call) => Promise<void>;
  /** The credential, and how long it stays usable: `{ name: 'per-proposal token', life: 'within 10 minutes' }`. */
  credential: { name: string; life: string };
  run: (call: Call) => Promise<ToolResult>;
  verify?: (call: Call) => Promise<VerifiedEffect>;
}): ToolDefinition {
  return catalogTool<Input>({
    info,
    deps,
    ...(verify
      ? {
          verify: async (call: CatalogCall<Input>) => {
            const opened = await open(call, 'verify');
            try {
              return await verify(opened);
            } finally {
              await close(opened).catch(() => {});
            }
          },
        }
      : {}),
    run: async (call) => {
      const opened = await open(call, 'run');
      let result: ToolResult;
      try {
        result = await run(opened);
      } catch (error) {
        // The body's failure is the one to report; the credential dies on its own regardless.
        await close(opened).catch(() => {});
        throw error;
      }
      try {
        await close(opened);
      } catch (error) {
        const warning = `The ${credential.name} could not be revoked (${rootMessage(error)}); it expires ${credential.life}.`;
        const warnings = Array.isArray(result.data.warnings) ? result.data.warnings : [];
        return { ...result, data: { ...result.data, warnings: [...warnings, warning] } };
      }
      return result;
    },
  });
}
