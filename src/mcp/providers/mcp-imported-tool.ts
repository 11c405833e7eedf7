import { z } from 'zod';
import { detectInjection } from '../../agents/injection-detector.ts';
import type { McpToolPin } from '../../policy/charter.schemas.ts';
import { clipAtWord } from '../../shared/clip.ts';
import { wardenError } from '../../shared/errors.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { CredentialBroker } from '../../tools/broker.ts';
import { throwIfCancelled } from '../../tools/catalog.calls.ts';
import { defineTool, type ToolDefinition } from '../../tools/define.ts';
import { disabledMessage, type ListedTool, pinStatus } from './mcp-definition.ts';
import { errorTextOf, toolResultOf } from './mcp-result.ts';
import type { McpServerClient } from './mcp-server.ts';

const MAX_DESCRIPTION = 1_000;
type Args = Record<string, unknown>;

/** Refuses every argument: the input of a tool whose definition could not be loaded (it is disabled too). */
const REFUSE_ALL = z.record(z.string(), z.unknown()).refine(() => false, 'the tool is disabled');

/**
 * One tool imported from an MCP server, behind the guard like any other. Kind and risk come from the
 * charter's `mcp` entry, never from the server's annotations (shown as hints). Its input schema is the
 * server's, converted when the definition the server listed at start is the pinned one; otherwise the tool
 * is disabled until Warden starts with a pinned definition. Before each call it reads the server's tools
 * again and refuses to send anything unless the definition still has the pinned hash.
 */
export function importedMcpTool({
  name,
  serverTool,
  atStart,
  pin,
  client,
  broker,
  redactor,
}: {
  name: string;
  serverTool: string;
  /** The tool as the server listed it when Warden started; null when the server did not answer. */
  atStart: ListedTool | null;
  pin: McpToolPin | null;
  client: McpServerClient;
  broker: Pick<CredentialBroker, 'verify'>;
  redactor: Redactor;
}): ToolDefinition {
  const server = client.name;
  const startStatus = pinStatus({
    listing: atStart ? new Map([[serverTool, atStart]]) : null,
    serverTool,
    pin: pin?.pin ?? null,
  });
  const converted = startStatus.ok && atStart ? inputOf(atStart) : null;
  const notLoaded = ((): string | null => {
    if (converted) return null;
    const from = `${name} (tool ${JSON.stringify(serverTool)} of MCP server ${server})`;
    if (startStatus.ok) return `${from} is disabled: its input schema cannot be used by Warden.`;
    const why = disabledMessage({
      tool: name,
      server,
      serverTool,
      pin: pin?.pin ?? null,
      status: startStatus,
    });
    return `${why} (as listed when Warden started; restart Warden once the server lists the pinned definition)`;
  })();
  const unavailable = (): string | null => {
    if (notLoaded) return notLoaded;
    const status = pinStatus({ listing: client.listing(), serverTool, pin: pin?.pin ?? null });
    return status.ok
      ? null
      : disabledMessage({ tool: name, server, serverTool, pin: pin?.pin ?? null, status });
  };
  const kind = pin?.kind ?? 'write';

  return defineTool<Args>({
    name,
    description: descriptionOf({ server, listed: atStart, redactor }),
    input: converted ?? REFUSE_ALL,
    kind,
    risk: pin?.risk ?? 'high',
    reversible: false,
    // Warden never retries a call; whether the server's tool is idempotent is its own claim, not policy.
    idempotent: kind === 'read',
    // A server kept open mints nothing per call: a read's credential is held by the broker in memory.
    mintsCredential: false,
    unavailable,
    execute: async (args, context) => {
      throwIfCancelled(context.signal);
      await broker.verify({
        token: context.credential,
        tool: name,
        environment: context.environment,
        proposalId: context.proposalId,
      });
      if (notLoaded)
        throw wardenError({ code: 'mcp.tool_disabled', message: notLoaded, details: { tool: name, server } });
      const { credential, signal } = context;
      const result = await client.session({ credential, signal }, async (session) => {
        // A rug pull between the decision (or approval) and now is caught here: nothing is sent.
        const status = pinStatus({
          listing: await session.relist(signal),
          serverTool,
          pin: pin?.pin ?? null,
        });
        if (!status.ok)
          throw wardenError({
            code: 'mcp.tool_disabled',
            message: disabledMessage({ tool: name, server, serverTool, pin: pin?.pin ?? null, status }),
            details: { tool: name, server, serverTool },
          });
        return session.call({ tool: serverTool, args, signal });
      });
      if (kind === 'read') throwIfCancelled(context.signal);
      if (result.isError)
        throw wardenError({
          code: 'mcp.tool_error',
          message: `${name} (MCP server ${server}) answered with an error: ${redactor.redactText(errorTextOf(result))}`,
          details: { tool: name, server },
        });
      return redactor.redactValue(toolResultOf({ tool: name, server, result }));
    },
  });
}

/** The server's JSON Schema as a zod schema for an object; null when it cannot be converted. */
function inputOf(listed: ListedTool): z.ZodType<Args> | null {
  try {
    const converted = z.fromJSONSchema(
      listed.inputSchema as Parameters<typeof z.fromJSONSchema>[0],
    ) as z.ZodType<Args, Args>;
    const schema: z.ZodType<Args> = z.record(z.string(), z.unknown()).pipe(converted);
    // The planner and MCP clients are shown it as JSON Schema again: one that cannot be is refused.
    z.toJSONSchema(schema);
    return schema;
  } catch {
    return null;
  }
}

/**
 * The server's description, labelled as the server's words, redacted and clipped; withheld when the
 * injection detector flags it. Its annotations follow as hints for people, never policy.
 */
function descriptionOf({
  server,
  listed,
  redactor,
}: {
  server: string;
  listed: ListedTool | null;
  redactor: Redactor;
}): string {
  const own = listed?.description?.trim() ?? '';
  const flagged = own ? detectInjection({ text: own }) : null;
  const words = flagged
    ? '(withheld: the injection detector flagged it)'
    : own
      ? `"${clipAtWord(redactor.redactText(own).replace(/\s+/g, ' '), MAX_DESCRIPTION)}"`
      : '(none)';
  const hints = Object.entries(listed?.annotations ?? {})
    .filter(([, v]) => v === true)
    .map(([k]) => k.replace(/Hint$/, ''));
  const hinted = hints.length > 0 ? ` Server hints, not policy: ${hints.join(', ')}.` : '';
  return `Imported from MCP server ${server}. The server's description (untrusted): ${words}.${hinted}`;
}
