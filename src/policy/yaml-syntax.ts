import {
  type Document,
  isCollection,
  isNode,
  isScalar,
  type LineCounter,
  type Node,
  visit,
  type YAMLError,
} from 'yaml';
import { pathOf } from './yaml-paths.ts';

export type SyntaxProblem = { line: number; column: number; path: PropertyKey[]; message: string };

/**
 * The one syntax error worth reporting, where the author made it. The parser reports where it gave up,
 * and every line after that it could not fit: an unclosed `{` yields an error for each key below it, an
 * unclosed quote one at the end of the file. So: the earliest error only, moved back to the quote or
 * bracket that was left open, or on to the text after the blank and comment lines it points at, and said
 * in words. Returns null when `errors` holds none.
 */
export function describeSyntaxError({
  errors,
  doc,
  text,
  lineCounter,
}: {
  errors: readonly YAMLError[];
  doc: Document;
  text: string;
  lineCounter: LineCounter;
}): SyntaxProblem | null {
  if (errors.length === 0) return null;
  // A hostile file can hold thousands of errors; the first few by position are enough to find the first.
  const earliest = [...errors].sort((a, b) => a.pos[0] - b.pos[0]).slice(0, MAX_ERRORS_LOCATED);
  const open = openNodes(doc);
  const located = earliest.map((error) => locate({ error, open, text }));
  const first = located.reduce<Located | null>(
    (best, l) => (best === null || l.offset < best.offset ? l : best),
    null,
  );
  if (!first) return null;
  const { line, col } = lineCounter.linePos(first.offset);
  return { line, column: col, path: pathAt({ doc, offset: first.offset }), message: first.message };
}

type Located = { offset: number; message: string };

const MAX_ERRORS_LOCATED = 20;

function locate({ error, open, text }: { error: YAMLError; open: readonly Node[]; text: string }): Located {
  const at = error.pos[0];
  const said = libraryMessage(error.message);
  if (error.code === 'MISSING_CHAR' && /quote/.test(said)) {
    const quoted = enclosing({ open, offset: at, test: isScalar });
    const quote = quoted ? text[quoted.range![0]] : '"';
    return {
      offset: quoted?.range?.[0] ?? at,
      message: `the quoted text starting here is never closed; add the closing ${quote}`,
    };
  }
  const flow = /^Flow (map|sequence)/.exec(said);
  if (flow) {
    const bracket = enclosing({ open, offset: at, test: isCollection });
    const [opening, closing] = flow[1] === 'map' ? ['{', '}'] : ['[', ']'];
    return {
      offset: bracket?.range?.[0] ?? at,
      message: `the ${opening} here is never closed; add the ${closing} (or indent the lines inside it further)`,
    };
  }
  const offset = nextText({ text, offset: at });
  switch (error.code) {
    case 'BAD_INDENT':
      return /^All (mapping|collection|sequence) items/.test(said)
        ? { offset, message: "this line's indentation does not line up with the keys above it" }
        : { offset, message: said };
    case 'TAB_AS_INDENT':
      return { offset: at, message: 'this line is indented with a tab; YAML indents with spaces' };
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY':
      return keyInTheWrongPlace({ text, offset: at });
    case 'MULTIPLE_DOCS':
      return { offset, message: 'a second YAML document starts here (---); a policy file holds one' };
    default:
      return { offset, message: said };
  }
}

/**
 * A key the parser cannot place. Where the line already has its `key:` before the error, a `key:` ran into
 * that value: on the same line (`a: b: c`) or from a next line indented too far. Otherwise a key runs on to
 * the next line: its `:` is missing.
 */
function keyInTheWrongPlace({ text, offset }: { text: string; offset: number }): Located {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  if (text.slice(lineStart, offset).trim() === '' || offset >= text.length)
    return { offset, message: 'this key runs on to the next line; is the ":" after it missing?' };
  const colon = offset + text.slice(offset).search(/:(\s|$)/);
  const colonLine = text.lastIndexOf('\n', colon) + 1;
  if (colon < offset || colonLine <= lineStart)
    return { offset, message: 'this value holds a "key:"; give that key a line of its own' };
  return {
    offset: nextText({ text, offset: colonLine }),
    message: 'this line is indented further than the key above it, so it reads as part of its value',
  };
}

/** The nodes that open and must close: quoted scalars and flow collections (`{…}`, `[…]`). */
function openNodes(doc: Document): Node[] {
  const found: Node[] = [];
  visit(doc, (_key, node) => {
    if (!isNode(node) || !node.range) return;
    if ((isScalar(node) && /^QUOTE/.test(node.type ?? '')) || (isCollection(node) && node.flow === true))
      found.push(node);
  });
  return found;
}

/** The innermost of `open` passing `test` that starts before `offset` and reaches it. */
function enclosing({
  open,
  offset,
  test,
}: {
  open: readonly Node[];
  offset: number;
  test: (node: Node) => boolean;
}): Node | undefined {
  let found: Node | undefined;
  for (const node of open) {
    const [start, , end] = node.range!;
    if (test(node) && start < offset && offset <= end && (!found || start > found.range![0])) found = node;
  }
  return found;
}

/** The data path of the innermost node at `offset`, for the message (empty at the top level). */
function pathAt({ doc, offset }: { doc: Document; offset: number }): PropertyKey[] {
  let best: { depth: number; path: PropertyKey[] } | null = null;
  visit(doc, (_key, node, ancestors) => {
    if (!isNode(node) || !node.range) return;
    const [start, , end] = node.range;
    if (start <= offset && offset < end && (!best || ancestors.length >= best.depth))
      best = { depth: ancestors.length, path: pathOf([...ancestors, node]) };
  });
  return (best as { path: PropertyKey[] } | null)?.path ?? [];
}

/** The first written text at or after `offset`: past spaces, line breaks and comment lines. */
function nextText({ text, offset }: { text: string; offset: number }): number {
  let i = offset;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    const afterSpace = i === 0 || /\s/.test(text[i - 1]!);
    if (text[i] !== '#' || !afterSpace) break;
    const end = text.indexOf('\n', i);
    if (end < 0) return offset;
    i = end + 1;
  }
  return i < text.length ? i : offset;
}

/** The library's message without its "at line L, column C:" tail (the caller adds the corrected place). */
function libraryMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
}
