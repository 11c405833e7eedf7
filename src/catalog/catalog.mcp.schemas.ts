import { z } from 'zod';
import { httpAuthSchema, secretSourceSchema, url } from './catalog.sources.schemas.ts';

/**
 * An MCP server whose tools Warden imports behind the guard: started over stdio (`command`, `args`, and an
 * environment whose values are secret sources, never the secrets) or reached over Streamable HTTP (`url`,
 * optional `auth`). `tools` maps Warden's name for each imported tool to the server's name; each one's
 * definition must be pinned by hash in the charters that use it.
 */
export const mcpConnectionSchema = z
  .strictObject({
    kind: z.literal('mcp'),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).max(64).default([]),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a variable name'),
        secretSourceSchema,
      )
      .default({}),
    cwd: z.string().startsWith('/', 'must be an absolute path').optional(),
    url: url.optional(),
    auth: httpAuthSchema.optional(),
    tools: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a tool name (lower-case letters, digits, _)'),
        z.strictObject({ tool: z.string().min(1).max(128) }),
      )
      .refine((t) => Object.keys(t).length > 0, 'must import at least one tool'),
    /** How long start-up waits for the server to answer; one that does not leaves its tools disabled. */
    connect_timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
    /**
     * `kept`: one process, restarted when it dies. `per_call` (stdio): a fresh process for each call, with the
     * call's broker credential in `WARDEN_CREDENTIAL`, ended when the call ends.
     */
    start: z.enum(['kept', 'per_call']).default('kept'),
  })
  .superRefine((c, ctx) => {
    if ((c.command === undefined) === (c.url === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['command'],
        message: 'must name either a command (stdio) or a url',
      });
    if (c.url !== undefined && (c.args.length > 0 || Object.keys(c.env).length > 0 || c.cwd))
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'args, env and cwd are for a command, not a url',
      });
    if (c.url !== undefined && c.start === 'per_call')
      ctx.addIssue({
        code: 'custom',
        path: ['start'],
        message: 'per_call is for a command (stdio), not a url',
      });
    if (c.command !== undefined && c.auth)
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: 'is for a url; a command gets secrets through env',
      });
  });
export type McpConnectionSpec = z.infer<typeof mcpConnectionSchema>;
