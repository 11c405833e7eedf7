import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { clipAtWord } from '../../shared/clip.ts';
import { canonicalJson } from '../../shared/hash.ts';
import type { ToolResult } from '../../tools/define.ts';

/** At most this much of a server's text reaches people and the planner; the rest is cut and said so. */
export const MAX_RESULT_TEXT = 16_000;
const MAX_STRUCTURED_JSON = 32_000;

/**
 * What a server's answer becomes: a summary written by Warden (never the server's words, which are
 * untrusted) and data holding the server's text and structured content, clipped. Images, audio and
 * embedded resources are named, not carried. Pure; the caller redacts.
 */
export function toolResultOf({
  tool,
  server,
  result,
}: {
  tool: string;
  server: string;
  result: CallToolResult;
}): ToolResult {
  const texts: string[] = [];
  const omitted: string[] = [];
  for (const item of result.content ?? []) {
    if (item.type === 'text') texts.push(item.text);
    else if (item.type === 'resource_link') omitted.push(`resource link ${item.uri}`);
    else omitted.push(item.type === 'resource' ? `embedded resource ${item.resource.uri}` : item.type);
  }
  const joined = texts.join('\n');
  const text = clipAtWord(joined, MAX_RESULT_TEXT);
  const data: Record<string, unknown> = { server, text };
  if (text.length < joined.length) data.clipped = `${joined.length - text.length} characters cut`;
  if (omitted.length > 0) data.omitted = omitted.slice(0, 20);
  if (result.structuredContent !== undefined) {
    const json = canonicalJson(result.structuredContent);
    data.structured =
      json.length <= MAX_STRUCTURED_JSON
        ? result.structuredContent
        : { clipped: `structured content of ${json.length} characters was not kept` };
  }
  const what = [
    `${joined.length} characters of text`,
    ...(result.structuredContent !== undefined ? ['structured content'] : []),
    ...(omitted.length > 0 ? [`${omitted.length} other items`] : []),
  ].join(', ');
  return { summary: `${tool} (MCP server ${server}) answered: ${what}.`, data };
}

/** The text of an error answer (`isError`), clipped, for the failure message. */
export function errorTextOf(result: CallToolResult): string {
  const text = (result.content ?? [])
    .map((c) => (c.type === 'text' ? c.text : ''))
    .join(' ')
    .trim();
  return clipAtWord(text || 'no details', 500);
}
