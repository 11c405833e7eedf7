import { readFileSync, statSync } from 'node:fs';
import {
  type Document,
  isAlias,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
} from 'yaml';
import type { z } from 'zod';
import { isWardenError, wardenError } from '../../shared/errors.ts';
import { type World, worldSchema } from './world.schemas.ts';

const MAX_WORLD_BYTES = 5_000_000;
const WORLD_KEYS = 'incidents, environments, deploys, logs and tickets';

export type WorldProblem = { path: string; line: number | null; message: string };

/** Reads and validates a sandbox world file (once, at start-up); throws `world.invalid` naming the file, path and problem. */
export function loadWorldFile({ file }: { file: string }): World {
  let text: string;
  try {
    const info = statSync(file);
    if (info.size > MAX_WORLD_BYTES)
      throw invalid({
        file,
        problems: [problem('', null, `is ${info.size} bytes; the limit is ${MAX_WORLD_BYTES}`)],
      });
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isWardenError(error, 'world.invalid')) throw error;
    throw wardenError({
      code: 'world.invalid',
      message: `${file}: cannot be read (${(error as Error).message})`,
      details: { file, problems: [] },
      cause: error,
    });
  }
  return parseWorld({ file, text });
}

/** Validates world YAML text; `file` only names the source in error messages. */
export function parseWorld({ file, text }: { file: string; text: string }): World {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, schema: 'core' });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? null : lineCounter.linePos(offset).line;

  if (doc.errors.length > 0)
    throw invalid({
      file,
      problems: doc.errors.map((e) =>
        problem('', lineOf(e.pos[0]), `is not valid YAML: ${firstLine(e.message)}`),
      ),
    });
  const refused = refusedNodes({ doc, lineOf });
  if (refused.length > 0) throw invalid({ file, problems: refused });
  if (doc.contents === null)
    throw invalid({
      file,
      problems: [problem('', null, `is empty; it must be a YAML mapping with ${WORLD_KEYS}`)],
    });

  const value: unknown = doc.toJS({ maxAliasCount: 0 });
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid({ file, problems: [problem('', 1, `must be a YAML mapping with ${WORLD_KEYS}`)] });
  const parsed = worldSchema.safeParse(value);
  if (!parsed.success)
    throw invalid({
      file,
      problems: parsed.error.issues.map((issue) =>
        problem(formatPath(issue.path), lineAt({ doc, path: issue.path, lineOf }), issueMessage(issue)),
      ),
    });
  return parsed.data;
}

/** Tags can construct arbitrary types and anchors/aliases can multiply a document: a world needs neither. */
function refusedNodes({
  doc,
  lineOf,
}: {
  doc: Document;
  lineOf: (offset: number | undefined) => number | null;
}): WorldProblem[] {
  const problems: WorldProblem[] = [];
  visit(doc, (_key, node, ancestors) => {
    const where = formatPath(keyPath([...ancestors, node]));
    if (isAlias(node))
      problems.push(problem(where, lineOf(node.range?.[0]), 'uses a YAML alias; aliases are refused'));
    else if (isNode(node) && node.tag)
      problems.push(
        problem(where, lineOf(node.range?.[0]), `uses the YAML tag ${shortTag(node.tag)}; tags are refused`),
      );
    else if (isNode(node) && node.anchor)
      problems.push(problem(where, lineOf(node.range?.[0]), 'uses a YAML anchor; anchors are refused'));
  });
  return problems;
}

/** The keys and indices leading to the last node of a visitor's ancestor chain. */
function keyPath(chain: readonly unknown[]): (string | number)[] {
  const out: (string | number)[] = [];
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1];
    const child = chain[i];
    if (isSeq(parent)) out.push(parent.items.indexOf(child as never));
    else if (isPair(parent) && parent.value === child && isScalar(parent.key))
      out.push(String(parent.key.value));
  }
  return out;
}

function lineAt({
  doc,
  path,
  lineOf,
}: {
  doc: Document;
  path: readonly PropertyKey[];
  lineOf: (offset: number | undefined) => number | null;
}): number | null {
  // The deepest node that exists along the path: a missing key is reported where its parent is.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true);
    if (isNode(node) && node.range) return lineOf(node.range[0]);
  }
  return null;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path)
    out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `has unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type')
    return /received undefined$/.test(issue.message) ? 'is required' : `must be ${article(issue.expected)}`;
  if (issue.code === 'invalid_value')
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

function problem(path: string, line: number | null, message: string): WorldProblem {
  return { path, line, message };
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function invalid({ file, problems }: { file: string; problems: WorldProblem[] }) {
  const lines = problems.map(
    (p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.path || '(document)'} ${p.message}`,
  );
  return wardenError({
    code: 'world.invalid',
    message: lines.slice(0, 10).join('\n') + (lines.length > 10 ? `\n…and ${lines.length - 10} more` : ''),
    details: { file, problems },
  });
}
