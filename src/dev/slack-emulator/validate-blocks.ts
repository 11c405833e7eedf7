import type { z } from 'zod';
import { blockSchema, homeViewSchema, modalViewSchema } from './blocks.schemas.ts';

export type BlockSurface = 'message' | 'modal' | 'home';
export type ProblemPath = (string | number)[];
/** One Block Kit problem: `path` for people (`blocks[3].text.text`), `pointer` for Slack-style errors. */
export type BlockProblem = { path: string; pointer: string; message: string };

const MAX_BLOCKS: Record<BlockSurface, number> = { message: 50, modal: 100, home: 100 };
const MAX_MESSAGE_TEXT = 40_000;

/** `['blocks', 3, 'text']` → `blocks[3].text`. */
export function formatPath(path: ProblemPath): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out === '' ? key : `${out}.${key}`;
  }, '');
}

function toProblem(path: ProblemPath, message: string): BlockProblem {
  return { path: formatPath(path), pointer: `/${path.join('/')}`, message };
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'string'
        ? `more than ${issue.maximum} characters`
        : `must be at most ${String(issue.maximum)}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `must be more than ${Number(issue.minimum) - 1} characters`
        : `must be at least ${String(issue.minimum)}`;
    case 'invalid_type':
      return `must provide ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `unsupported ${issue.keys.length === 1 ? 'property' : 'properties'} ${issue.keys.map((k) => `\`${k}\``).join(', ')}`;
    case 'invalid_union': {
      const given = valueAt(input, issue.path);
      return given === undefined ? 'missing `type`' : `unsupported type \`${String(given)}\``;
    }
    default:
      return issue.message;
  }
}

function countProblem(path: ProblemPath, items: unknown, min: number, max: number): BlockProblem[] {
  if (!Array.isArray(items)) return [];
  if (items.length > max) return [toProblem(path, `more than ${max} items`)];
  if (items.length < min) return [toProblem(path, `must have at least ${min} item${min === 1 ? '' : 's'}`)];
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Limits zod does not express per element: counts, required either/or fields, uniqueness, surfaces. */
function structuralProblems(block: unknown, at: ProblemPath, surface: BlockSurface): BlockProblem[] {
  if (!isRecord(block)) return [];
  const problems: BlockProblem[] = [];
  if (block.type === 'section') {
    if (block.text === undefined && block.fields === undefined) {
      problems.push(toProblem(at, 'must define either `text` or `fields`'));
    }
    problems.push(...countProblem([...at, 'fields'], block.fields, 1, 10));
  }
  if (block.type === 'context') problems.push(...countProblem([...at, 'elements'], block.elements, 1, 10));
  if (block.type === 'actions') {
    problems.push(...countProblem([...at, 'elements'], block.elements, 1, 25));
    const seen = new Set<string>();
    const elements = Array.isArray(block.elements) ? block.elements : [];
    elements.forEach((element, index) => {
      const id = isRecord(element) ? element.action_id : undefined;
      if (typeof id !== 'string') return;
      if (seen.has(id))
        problems.push(toProblem([...at, 'elements', index, 'action_id'], `duplicate action_id \`${id}\``));
      seen.add(id);
    });
  }
  if (block.type === 'input' && surface === 'message') {
    problems.push(toProblem([...at, 'type'], 'input blocks are only allowed in modals and Home tabs'));
  }
  return problems;
}

/** Every problem in a blocks array, with paths starting at `root` (default `['blocks']`). */
export function findBlockProblems({
  blocks,
  surface = 'message',
  root = ['blocks'],
}: {
  blocks: unknown;
  surface?: BlockSurface;
  root?: ProblemPath;
}): BlockProblem[] {
  if (!Array.isArray(blocks)) return [toProblem(root, 'must provide an array')];
  const problems: BlockProblem[] = [];
  const max = MAX_BLOCKS[surface];
  if (blocks.length > max) problems.push(toProblem(root, `more than ${max} items`));
  const blockIds = new Set<string>();
  blocks.forEach((block, index) => {
    const at = [...root, index];
    const parsed = blockSchema.safeParse(block);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
        problems.push(toProblem([...at, ...path], describeIssue(issue, block)));
      }
    }
    problems.push(...structuralProblems(block, at, surface));
    const id = isRecord(block) ? block.block_id : undefined;
    if (typeof id === 'string') {
      if (blockIds.has(id)) problems.push(toProblem([...at, 'block_id'], `duplicate block_id \`${id}\``));
      blockIds.add(id);
    }
  });
  return problems;
}

/**
 * Checks blocks against the Block Kit subset Warden uses and Slack's limits. Pure. Returns one line
 * per problem, e.g. `blocks[3].text.text: more than 3000 characters`; an empty list means valid.
 */
export function validateBlocks(
  blocks: unknown,
  { surface = 'message' }: { surface?: BlockSurface } = {},
): string[] {
  return findBlockProblems({ blocks, surface }).map((p) => `${p.path}: ${p.message}`);
}

/** Problems in a whole message: its blocks plus the 40,000-character `text` limit. */
export function findMessageProblems({ text, blocks }: { text?: unknown; blocks?: unknown }): BlockProblem[] {
  const problems: BlockProblem[] = [];
  if (typeof text === 'string' && text.length > MAX_MESSAGE_TEXT) {
    problems.push(toProblem(['text'], `more than ${MAX_MESSAGE_TEXT} characters`));
  }
  if (blocks !== undefined) problems.push(...findBlockProblems({ blocks }));
  return problems;
}

/** Like validateBlocks, for a whole message (`text` and `blocks`). */
export function validateMessage({ text, blocks }: { text?: unknown; blocks?: unknown }): string[] {
  return findMessageProblems({ text, blocks }).map((p) => `${p.path}: ${p.message}`);
}

/** Problems in a modal or Home tab view (title/submit limits, blocks ≤ 100, submit needed with inputs). */
export function findViewProblems({
  view,
  expect,
}: {
  view: unknown;
  expect: 'modal' | 'home';
}): BlockProblem[] {
  const schema = expect === 'modal' ? modalViewSchema : homeViewSchema;
  const parsed = schema.safeParse(view);
  const problems: BlockProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) =>
        toProblem(
          ['view', ...issue.path.filter((key): key is string | number => typeof key !== 'symbol')],
          describeIssue(issue, view),
        ),
      );
  const blocks = isRecord(view) ? view.blocks : undefined;
  problems.push(...findBlockProblems({ blocks, surface: expect, root: ['view', 'blocks'] }));
  const hasInput = Array.isArray(blocks) && blocks.some((b) => isRecord(b) && b.type === 'input');
  if (expect === 'modal' && hasInput && isRecord(view) && view.submit === undefined) {
    problems.push(toProblem(['view', 'submit'], 'required when the view has input blocks'));
  }
  return problems;
}

/** Like validateBlocks, for a whole modal or Home tab view. */
export function validateView(view: unknown, { surface }: { surface: 'modal' | 'home' }): string[] {
  return findViewProblems({ view, expect: surface }).map((p) => `${p.path}: ${p.message}`);
}
