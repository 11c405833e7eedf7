import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Charter } from '../policy/charter.schemas.ts';
import type { ToolInfo } from '../tools/define.ts';
import type { ToolRegistry } from '../tools/registry.ts';

/** The argument every tool gets through MCP: the guard decides per environment. */
export const ENVIRONMENT_ARG = 'environment';

/**
 * The tools the charter lets its agent use in at least one environment, with their input schemas (from
 * the registry's zod schemas) plus a required `environment` among those where the tool is not denied.
 */
export function listMcpTools({ charter, registry }: { charter: Charter; registry: ToolRegistry }): Tool[] {
  const tools: Tool[] = [];
  for (const [name, rule] of Object.entries(charter.tools)) {
    const info = registry.get(name);
    const environments = Object.entries(rule.environments)
      .filter(([env, decision]) => decision !== 'deny' && Object.hasOwn(charter.environments, env))
      .map(([env]) => env);
    if (!info || environments.length === 0) continue;
    tools.push({
      name,
      description: info.description,
      inputSchema: inputSchemaOf({ info, environments }),
      annotations: {
        readOnlyHint: info.kind === 'read',
        destructiveHint: info.kind === 'write' && !info.reversible,
        idempotentHint: info.idempotent,
      },
    });
  }
  return tools;
}

/** The tool's own JSON schema with `environment` added as a required enum. */
function inputSchemaOf({
  info,
  environments,
}: {
  info: ToolInfo;
  environments: string[];
}): Tool['inputSchema'] {
  const { $schema: _drop, ...schema } = z.toJSONSchema(info.input, { io: 'input' }) as Record<
    string,
    unknown
  >;
  const properties = (schema.properties ?? {}) as Record<string, object>;
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  return {
    ...schema,
    type: 'object',
    properties: {
      ...properties,
      [ENVIRONMENT_ARG]: {
        type: 'string',
        enum: environments,
        description:
          "Where to act. Warden's charter decides per environment: allowed, needs approval or denied.",
      },
    },
    required: [...required.filter((r) => r !== ENVIRONMENT_ARG), ENVIRONMENT_ARG],
  };
}

/**
 * The `environment` and the tool's own arguments of an MCP call. A missing environment is passed on as ""
 * for the guard to deny (`env_unknown`), so that every call is decided and audited the same way.
 */
export function splitCallArguments({ args }: { args: Record<string, unknown> | undefined }): {
  environment: string;
  toolArgs: Record<string, unknown>;
} {
  const { [ENVIRONMENT_ARG]: environment, ...toolArgs } = args ?? {};
  return { environment: typeof environment === 'string' ? environment : '', toolArgs };
}

/** A tool error the client (and its model) can read: a code and a sentence, as JSON text. */
export function errorResult(
  body: { code: string; message: string } & Record<string, unknown>,
): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }] };
}

/** A tool result as JSON text. */
export function jsonResult(body: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(body) }] };
}
