import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { wardenError } from '../shared/errors.ts';
import { canonicalJson, sha256Hex } from '../shared/hash.ts';
import { checkApprovalRules } from './charter.approval-rules.ts';
import { formatIssues } from './charter.issues.ts';
import { formatCharterPath } from './charter.paths.ts';
import { checkCharterReferences } from './charter.references.ts';
import { type Charter, type CharterSpec, charterSchema } from './charter.schemas.ts';
import { parseSafeYaml, readPolicyFile, unreadableReason } from './yaml-safe.ts';

const EXPECTED = 'agent, version, purpose, owners, invokers, environments, tools, budgets and approval_ttl';

export type CharterCheck = { file: string; charter: Charter | null; problems: string[] };

/**
 * The names of the tools Warden has (the tool catalog's), passed in by the CLI and the app: a charter
 * naming any other tool is invalid. Absent (unit tests loading a charter alone), tool names are not judged.
 */
type KnownTools = { knownTools?: readonly string[] | undefined };

/** Content hash of a validated charter: formatting and comments don't change it, any change in meaning does. */
export function charterHash({ spec }: { spec: CharterSpec }): string {
  return sha256Hex(canonicalJson(spec));
}

/** Validates charter YAML; returns the charter or every problem found (one line each, naming file and path). */
export function checkCharterText({
  text,
  file,
  knownTools,
}: { text: string; file: string } & KnownTools): CharterCheck {
  const parsed = parseSafeYaml({ text, file, expected: EXPECTED });
  if (!parsed.ok) return { file, charter: null, problems: parsed.problems };
  const result = charterSchema.safeParse(parsed.value);
  if (!result.success) {
    const problems = formatIssues({
      issues: result.error.issues,
      file,
      input: parsed.value,
      lineOf: parsed.lineOf,
    });
    return { file, charter: null, problems };
  }
  const references = [
    ...checkCharterReferences({ spec: result.data, knownTools }),
    ...checkApprovalRules({ spec: result.data }),
  ];
  if (references.length > 0) {
    const problems = references.map(({ path, message }) => {
      const line = parsed.lineOf(path);
      return `${file}: ${formatCharterPath(path)}: ${message}${line === undefined ? '' : ` (line ${line})`}`;
    });
    return { file, charter: null, problems };
  }
  return { file, charter: { ...result.data, hash: charterHash({ spec: result.data }), file }, problems: [] };
}

/** Parses one charter from text (tests, inline charters); throws `charter.invalid` listing every problem. */
export function parseCharterText(input: { text: string; file: string } & KnownTools): Charter {
  return orThrow(checkCharterText(input));
}

/** Reads and validates one charter file, refusing files over 1 MiB before reading them. */
export function checkCharterFile({ file, knownTools }: { file: string } & KnownTools): CharterCheck {
  const read = readPolicyFile({ file });
  if (!read.ok) return { file, charter: null, problems: read.problems };
  return checkCharterText({ text: read.text, file, knownTools });
}

/** Loads one charter file; throws `charter.invalid` listing every problem. */
export function loadCharterFile(input: { file: string } & KnownTools): Charter {
  return orThrow(checkCharterFile(input));
}

/** The charter files in a directory: `*.yaml` / `*.yml`, not `*.test.yaml`, not hidden, sorted by name. */
export function listPolicyFiles({ dir, tests }: { dir: string; tests: boolean }): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && /\.ya?ml$/.test(name) && /\.test\.ya?ml$/.test(name) === tests)
    .sort()
    .map((name) => join(dir, name))
    .filter((file) => !isDirectory(file));
}

// A file that cannot be stat'ed (a broken link) stays in the list so reading it reports the problem by name.
function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Validates every charter in a directory: each file on its own, then across files (no two charters may
 * define the same agent; the directory must hold at least one charter).
 */
export function checkCharterDir({ dir, knownTools }: { dir: string } & KnownTools): {
  files: CharterCheck[];
  problems: string[];
} {
  let names: string[];
  try {
    names = listPolicyFiles({ dir, tests: false });
  } catch (error) {
    return {
      files: [],
      problems: [`${dir}: cannot read the charters directory: ${unreadableReason(error)}`],
    };
  }
  if (names.length === 0) return { files: [], problems: [`${dir}: holds no charter files (*.yaml)`] };
  const files = names.map((file) => checkCharterFile({ file, knownTools }));
  const problems: string[] = [];
  const firstFileOf = new Map<string, string>();
  for (const { file, charter } of files) {
    if (!charter) continue;
    const earlier = firstFileOf.get(charter.agent);
    if (earlier) problems.push(`${file}: agent: "${charter.agent}" is already defined in ${earlier}`);
    else firstFileOf.set(charter.agent, file);
  }
  return { files, problems };
}

/** Loads every charter in a directory; throws `charter.invalid` listing every problem in every file. */
export function loadCharters(input: { dir: string } & KnownTools): { charters: Charter[] } {
  const { files, problems } = checkCharterDir(input);
  const all = [...files.flatMap((f) => f.problems), ...problems];
  if (all.length > 0) throw invalid(all);
  return { charters: files.flatMap((f) => (f.charter ? [f.charter] : [])) };
}

function orThrow(check: CharterCheck): Charter {
  if (!check.charter) throw invalid(check.problems);
  return check.charter;
}

function invalid(problems: string[]) {
  return wardenError({ code: 'charter.invalid', message: problems.join('\n'), details: { problems } });
}
