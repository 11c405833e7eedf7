import { readFileSync, statSync } from 'node:fs';
import { isMap, isNode, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { formatCharterPath } from './charter.paths.ts';
import { keyOf, nodeAt, pathOf } from './yaml-paths.ts';
import { describeSyntaxError } from './yaml-syntax.ts';

/** Policy files larger than this are refused before they are parsed. */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;

export type SafeYaml =
  | {
      ok: true;
      /** The top-level mapping as plain data. */
      value: Record<string, unknown>;
      /** The 1-based line of the node at a path (or of its nearest ancestor found), for messages. */
      lineOf: (path: readonly PropertyKey[]) => number | undefined;
    }
  | { ok: false; problems: string[] };

/**
 * Parses a policy file (charter or charter test) as plain YAML 1.2 data and refuses anything else: more than
 * 1 MiB, syntax errors, several documents, duplicate keys, any explicit tag (`!!js/function`, `!Ref`,
 * even `!!str`), alias bombs, an empty file or a top level that is not a mapping. Each problem is one line
 * starting with the file name; a syntax error is the only problem reported, once, where it was made.
 */
export function parseSafeYaml({
  text,
  file,
  expected,
}: {
  text: string;
  file: string;
  expected: string;
}): SafeYaml {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_POLICY_FILE_BYTES) return { ok: false, problems: [tooLarge({ file, bytes })] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: true,
    schema: 'core',
    customTags: [],
    resolveKnownTags: false,
    lineCounter,
  });
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  // After a syntax error the rest of the tree is the parser's guess: report that one error and nothing else.
  const syntax = describeSyntaxError({
    errors: doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY'),
    doc,
    text,
    lineCounter,
  });
  if (syntax) {
    const where = formatCharterPath(syntax.path);
    return {
      ok: false,
      problems: [
        `${file}: ${where ? `${where}: ` : ''}is not valid YAML: ${syntax.message} (line ${syntax.line}, column ${syntax.column})`,
      ],
    };
  }
  const problems: string[] = [];
  const duplicates = findDuplicateKeys({ doc: doc.contents });
  for (const dup of duplicates) {
    problems.push(
      `${file}: ${dup.path}: key "${dup.key}" appears more than once (line ${lineAt(dup.offset)})`,
    );
  }
  // A duplicate key the walk above cannot name (a complex key) is still reported, as the parser says it.
  if (duplicates.length === 0)
    for (const error of doc.errors) problems.push(`${file}: is not valid YAML: ${firstLine(error.message)}`);
  visit(doc, (_key, node, ancestors) => {
    if (!isNode(node) || !node.tag) return;
    const where = formatCharterPath(pathOf([...ancestors, node])) || '(top level)';
    problems.push(
      `${file}: ${where}: uses the YAML tag ${shortTag(node.tag)} (line ${lineAt(node.range?.[0])}); ` +
        'policy files may not use YAML tags',
    );
  });
  for (const warning of doc.warnings) {
    if (warning.code !== 'TAG_RESOLVE_FAILED') problems.push(`${file}: ${firstLine(warning.message)}`);
  }
  if (problems.length > 0) return { ok: false, problems };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [`${file}: cannot be read as plain data: ${reason}`] };
  }
  if (value === null || value === undefined) {
    return { ok: false, problems: [`${file}: is empty; it must be a YAML mapping with ${expected}`] };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    const found = Array.isArray(value) ? 'a list' : `a single ${typeof value}`;
    return {
      ok: false,
      problems: [`${file}: must be a YAML mapping with ${expected}, but the file holds ${found}`],
    };
  }
  return {
    ok: true,
    value: value as Record<string, unknown>,
    lineOf: (path) => lineAt(nodeAt({ root: doc.contents, path })?.range?.[0]),
  };
}

/**
 * A policy file's text (charter, charter tests, catalog, eval case), refusing files over 1 MiB before
 * reading them; never throws: a problem is one line naming the file.
 */
export function readPolicyFile({
  file,
}: {
  file: string;
}): { ok: true; text: string } | { ok: false; problems: string[] } {
  try {
    const { size } = statSync(file);
    if (size > MAX_POLICY_FILE_BYTES) return { ok: false, problems: [tooLarge({ file, bytes: size })] };
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (error) {
    return {
      ok: false,
      problems: [`${file}: cannot be read: ${unreadableReason(error)}`],
    };
  }
}

/** Why a file or directory cannot be read, in words (the common errors without their syscall noise). */
export function unreadableReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

/** The message for a file over the size limit. */
export function tooLarge({ file, bytes }: { file: string; bytes: number }): string {
  const mib = (bytes / (1024 * 1024)).toFixed(1);
  return `${file}: is ${mib} MiB; policy files may be at most 1 MiB`;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:$/, '');
}

function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

type Duplicate = { path: string; key: string; offset: number | undefined };

function findDuplicateKeys({ doc }: { doc: unknown }): Duplicate[] {
  const out: Duplicate[] = [];
  const walk = (node: unknown, path: PropertyKey[]) => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = keyOf(pair.key);
        if (seen.has(key)) {
          const offset = isNode(pair.key) ? pair.key.range?.[0] : undefined;
          out.push({ path: formatCharterPath(path) || '(top level)', key, offset });
        }
        seen.add(key);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    }
  };
  walk(doc, []);
  return out;
}
