import { wardenError } from '../shared/errors.ts';
import type {
  Risk,
  ToolContext,
  ToolDefinition,
  ToolInfo,
  ToolKind,
  ToolResult,
  VerifiedEffect,
} from './define.ts';

/** Runs one tool. Handed by the composition root to the guard only: nothing else may reach an executor. */
export type ToolExecutor = {
  name: string;
  execute: (input: Record<string, unknown>, context: ToolContext) => Promise<ToolResult>;
  /** Present when the tool can tell, by the idempotency key, whether an earlier call took effect. */
  verify?: (input: Record<string, unknown>, context: ToolContext) => Promise<VerifiedEffect>;
  /**
   * Whether a call's credential has a lease row (the kill switch revokes it): every write, and a read on a
   * system that mints credentials. Other reads get a credential the broker holds in memory.
   */
  leased: boolean;
};

export type ToolCatalogEntry = { kind: ToolKind; risk: Risk; reversible: boolean };

const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Splits tool definitions into metadata any layer may read (`registry`) and the executors (`executors`),
 * which the composition root gives to the guard alone, so every call goes through the guard.
 */
export function createToolRegistry({ tools }: { tools: ToolDefinition[] }) {
  const infos = new Map<string, ToolInfo>();
  const runners = new Map<string, ToolExecutor>();
  const availability = new Map<string, () => string | null>();
  for (const tool of tools) {
    if (!TOOL_NAME.test(tool.name))
      throw wardenError({
        code: 'tools.invalid_name',
        message: `Tool name "${tool.name}" must be lower-case letters, digits or _.`,
        details: { tool: tool.name },
      });
    if (infos.has(tool.name))
      throw wardenError({
        code: 'tools.duplicate_name',
        message: `Two tools are named "${tool.name}".`,
        details: { tool: tool.name },
      });
    const { execute, verify, mintsCredential, unavailable, ...info } = tool;
    infos.set(tool.name, Object.freeze(info));
    if (unavailable) availability.set(tool.name, unavailable);
    runners.set(
      tool.name,
      Object.freeze({
        name: tool.name,
        execute: revalidating({ tool, run: execute }),
        leased: tool.kind !== 'read' || mintsCredential !== false,
        ...(verify ? { verify: revalidating({ tool, run: verify }) } : {}),
      }),
    );
  }

  const registry = {
    /** The tool's metadata and schema, or null when no tool has this name. */
    get: (name: string): ToolInfo | null => infos.get(name) ?? null,
    list: (): ToolInfo[] => [...infos.values()],
    /** Why a known tool cannot run now (an imported MCP tool that is disabled), or null when it can. */
    unavailable: (name: string): string | null => availability.get(name)?.() ?? null,
    /** Kind, risk and reversibility by tool name: what policy and people need to know. */
    catalog: (): Record<string, ToolCatalogEntry> =>
      Object.fromEntries(
        [...infos.values()].map((t) => [t.name, { kind: t.kind, risk: t.risk, reversible: t.reversible }]),
      ),
  };
  const executors = {
    /** The executor of a tool, or null. Only the guard holds this object. */
    get: (name: string): ToolExecutor | null => runners.get(name) ?? null,
  };
  return { registry, executors };
}

/** Defence in depth: the executor parses its input again, whatever the caller already checked. */
function revalidating<R>({
  tool,
  run,
}: {
  tool: ToolDefinition;
  run: (input: Record<string, unknown>, context: ToolContext) => Promise<R>;
}) {
  return async (input: Record<string, unknown>, context: ToolContext): Promise<R> => {
    const parsed = tool.input.safeParse(input);
    if (!parsed.success)
      throw wardenError({
        code: 'tools.invalid_input',
        message: `The arguments for ${tool.name} do not match its schema.`,
        details: {
          tool: tool.name,
          issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
        },
      });
    return run(parsed.data, context);
  };
}

export type ToolRegistry = ReturnType<typeof createToolRegistry>['registry'];
export type ToolExecutors = ReturnType<typeof createToolRegistry>['executors'];
