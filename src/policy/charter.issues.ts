import type { z } from 'zod';
import { formatCharterPath } from './charter.paths.ts';

type Issue = z.core.$ZodIssue;

/**
 * Turns zod issues into one line each: `file: path.in.file: what is wrong (line N)`. Union errors are narrowed
 * to the branch the author evidently meant; missing keys say "is required"; unknown keys name the key.
 */
export function formatIssues({
  issues,
  file,
  input,
  lineOf,
}: {
  issues: readonly Issue[];
  file: string;
  input: unknown;
  lineOf: (path: readonly PropertyKey[]) => number | undefined;
}): string[] {
  const lines: string[] = [];
  for (const { path, message } of flatten({ issues, prefix: [], input })) {
    const where = formatCharterPath(path);
    const line = lineOf(path);
    lines.push(
      `${file}: ${where ? `${where}: ` : ''}${message}${line === undefined ? '' : ` (line ${line})`}`,
    );
  }
  return [...new Set(lines)];
}

type Flat = { path: PropertyKey[]; message: string };

function flatten({
  issues,
  prefix,
  input,
}: {
  issues: readonly Issue[];
  prefix: PropertyKey[];
  input: unknown;
}) {
  const out: Flat[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: 'is not a known key' });
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = meantBranch(issue.errors);
      if (branch) {
        out.push(...flatten({ issues: branch, prefix: path, input }));
        continue;
      }
    }
    out.push({ path, message: describe({ issue, value: valueAt(input, path) }) });
  }
  return out;
}

/**
 * Of a union's branches, the one the author meant: drop branches that failed on the value's very shape
 * (wrong literal or type at the top); if any remain, take the one with the fewest issues.
 */
function meantBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | null {
  const shapeMismatch = (issues: readonly Issue[]) =>
    issues.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'));
  const candidates = branches.filter((b) => !shapeMismatch(b));
  if (candidates.length === 0) return null;
  return candidates.reduce((best, b) => (b.length < best.length ? b : best));
}

function describe({ issue, value }: { issue: Issue; value: unknown }): string {
  const got = value === undefined ? '' : ` (got ${show(value)})`;
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? 'is required' : `must be ${article(issue.expected)}${got}`;
    case 'invalid_value':
      return `must be ${orList(issue.values.map((v) => JSON.stringify(v)))}${got}`;
    case 'invalid_union': {
      if ('options' in issue && Array.isArray(issue.options))
        return `must be one of ${issue.options.join(', ')}${got}`;
      const expected = issue.errors.flatMap((b) =>
        b.flatMap((i) => {
          if (i.code === 'invalid_value') return i.values.map((v) => JSON.stringify(v));
          if (i.code === 'invalid_type') return [article(i.expected)];
          return [];
        }),
      );
      return expected.length > 0
        ? `must be ${orList([...new Set(expected)])}${got}`
        : `${issue.message}${got}`;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const word =
        issue.code === 'too_small'
          ? inclusive
            ? 'at least'
            : 'more than'
          : inclusive
            ? 'at most'
            : 'less than';
      if (issue.origin === 'array' || issue.origin === 'set')
        return `must have ${word} ${String(bound)} item${Number(bound) === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return `must be ${word} ${String(bound)} characters long${got}`;
      return `must be ${word} ${String(bound)}${got}`;
    }
    case 'not_multiple_of':
      return `must be a whole number${got}`;
    case 'invalid_format':
      return `${issue.message}${got}`;
    default:
      return issue.message;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function article(type: string): string {
  const words: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    record: 'a mapping',
  };
  return words[type] ?? type;
}

function orList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function show(value: unknown): string {
  const text = Array.isArray(value)
    ? 'a list'
    : value && typeof value === 'object'
      ? 'a mapping'
      : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
