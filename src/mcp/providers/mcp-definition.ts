import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../../shared/hash.ts';

// The pure parts of importing a tool from an MCP server: what its definition is, the hash a charter pins,
// and whether the definition the server lists now is the pinned one.

/** Server-supplied hints about a tool (MCP `annotations`): shown to people, never used as policy. */
export const toolHintsSchema = z
  .object({
    readOnlyHint: z.boolean().optional(),
    destructiveHint: z.boolean().optional(),
    idempotentHint: z.boolean().optional(),
    openWorldHint: z.boolean().optional(),
  })
  .partial();

/** One tool as a server lists it (`tools/list`), reduced to what Warden reads; the rest is ignored. */
export const listedToolSchema = z.object({
  name: z.string().min(1).max(128),
  description: z.string().max(100_000).optional(),
  inputSchema: z.record(z.string(), z.unknown()),
  annotations: toolHintsSchema.optional(),
});
export type ListedTool = z.infer<typeof listedToolSchema>;

/** `sha256:<hex>` of the canonical JSON of the tool's name, description and input schema. */
export function definitionHash(tool: Pick<ListedTool, 'name' | 'description' | 'inputSchema'>): string {
  const definition = { name: tool.name, description: tool.description ?? '', inputSchema: tool.inputSchema };
  return `sha256:${sha256Hex(canonicalJson(definition))}`;
}

/** Where an imported tool stands against its pin: it may run only when `ok`. */
export type PinStatus =
  | { ok: true; hash: string }
  | { ok: false; why: 'server_down' | 'gone' | 'changed' | 'unpinned' | 'stale'; hash: string | null };

/** Compares the server's current listing of a tool with the charter's pin. Pure. */
export function pinStatus({
  listing,
  serverTool,
  pin,
}: {
  /** The server's tools by name; null while the server is down or its tools are being read again. */
  listing: ReadonlyMap<string, ListedTool> | null | 'stale';
  serverTool: string;
  pin: string | null;
}): PinStatus {
  if (listing === null) return { ok: false, why: 'server_down', hash: null };
  if (listing === 'stale') return { ok: false, why: 'stale', hash: null };
  const listed = listing.get(serverTool);
  if (!listed) return { ok: false, why: 'gone', hash: null };
  const hash = definitionHash(listed);
  if (pin === null) return { ok: false, why: 'unpinned', hash };
  return hash === pin ? { ok: true, hash } : { ok: false, why: 'changed', hash };
}

/** The sentence a person reads when an imported tool is disabled: tool, server, pinned and current hash. */
export function disabledMessage({
  tool,
  server,
  serverTool,
  pin,
  status,
}: {
  tool: string;
  server: string;
  serverTool: string;
  pin: string | null;
  status: Exclude<PinStatus, { ok: true }>;
}): string {
  const from = `${tool} (tool ${JSON.stringify(serverTool)} of MCP server ${server})`;
  switch (status.why) {
    case 'server_down':
      return `${from} is disabled: the server is not running or did not answer, so its definition cannot be checked against the pin.`;
    case 'stale':
      return `${from} is disabled while Warden reads the server's tools again (the server said they changed).`;
    case 'gone':
      return `${from} is disabled: the server no longer lists it (pinned ${pin ?? 'nothing'}).`;
    case 'unpinned':
      return `${from} is disabled: no charter pins its definition; an owner must pin ${status.hash}.`;
    case 'changed':
      return `${from} is disabled: its definition changed since it was pinned (pinned ${pin}, now ${status.hash}); an owner must re-pin it after reviewing the change.`;
  }
}
