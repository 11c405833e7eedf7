import type { JsonObject } from '../emulator.types.ts';
import { isObjectArray, type Params, readJson, readString } from '../params.ts';
import { type BlockProblem, type BlockSurface, findBlockProblems } from '../validate-blocks.ts';
import { slackError } from './method.types.ts';

const MAX_TEXT = 40_000;

/** Slack's invalid_blocks answer: `errors` and `response_metadata.messages` with JSON pointers. */
export function invalidBlocks(error: string, problems: BlockProblem[]): JsonObject {
  const lines = problems.map((p) => `${p.message} [json-pointer:${p.pointer}]`);
  return slackError(error, {
    errors: lines,
    response_metadata: { messages: lines.map((l) => `[ERROR] ${l}`) },
  });
}

export type MessageContent =
  | { ok: true; text: string | undefined; blocks: JsonObject[] | undefined }
  | { ok: false; answer: JsonObject };

/**
 * Reads `text` and `blocks` as chat.* methods and response_url do: blocks must be a JSON array of
 * objects (`invalid_blocks_format`) that passes Block Kit validation (`invalid_blocks`); text is
 * limited to 40,000 characters (`msg_too_long`). With `requireContent`, one of them must be there.
 */
export function readMessageContent({
  params,
  requireContent,
  surface = 'message',
}: {
  params: Params;
  requireContent: boolean;
  surface?: BlockSurface;
}): MessageContent {
  const text = readString(params, 'text');
  const blocksArg = readJson(params, 'blocks');
  let blocks: JsonObject[] | undefined;
  if (blocksArg.present) {
    if ('invalid' in blocksArg || !isObjectArray(blocksArg.value)) {
      return { ok: false, answer: slackError('invalid_blocks_format') };
    }
    blocks = blocksArg.value;
  }
  const hasBlocks = blocks !== undefined && blocks.length > 0;
  if (requireContent && (text === undefined || text === '') && !hasBlocks) {
    return { ok: false, answer: slackError('no_text') };
  }
  if (text !== undefined && text.length > MAX_TEXT) return { ok: false, answer: slackError('msg_too_long') };
  if (blocks !== undefined) {
    const problems = findBlockProblems({ blocks, surface });
    if (problems.length > 0) return { ok: false, answer: invalidBlocks('invalid_blocks', problems) };
  }
  return { ok: true, text, blocks };
}
