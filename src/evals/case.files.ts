import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { formatIssues } from '../policy/charter.issues.ts';
import { parseSafeYaml, readPolicyFile } from '../policy/yaml-safe.ts';
import { type EvalCase, evalCaseSchema } from './case.schemas.ts';

export type LoadedCase = { file: string; evalCase: EvalCase };

/** Every case under `dir` (`<agent>/*.yaml`), validated; `problems` name the file, the path and what is wrong. */
export function readCaseDir({ dir, agent }: { dir: string; agent?: string }): {
  cases: LoadedCase[];
  problems: string[];
} {
  const cases: LoadedCase[] = [];
  const problems: string[] = [];
  if (!existsSync(dir))
    return { cases, problems: [`${dir}: no such directory (export cases first: warden eval export)`] };
  const agents = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && (agent === undefined || e.name === agent))
    .map((e) => e.name)
    .sort();
  for (const name of agents) {
    const files = readdirSync(join(dir, name))
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort();
    for (const f of files) {
      const file = join(dir, name, f);
      const read = readCaseFile({ file });
      if (!read.ok) {
        problems.push(...read.problems);
        continue;
      }
      if (read.evalCase.agent !== name) {
        problems.push(`${file}: agent: is "${read.evalCase.agent}", but the file is under ${name}/`);
        continue;
      }
      cases.push({ file, evalCase: read.evalCase });
    }
  }
  const seen = new Map<string, string>();
  for (const { file, evalCase } of cases) {
    const key = `${evalCase.agent}/${evalCase.id}`;
    const first = seen.get(key);
    if (first) problems.push(`${file}: id: "${evalCase.id}" is already the id of ${first}`);
    seen.set(key, file);
  }
  return { cases, problems };
}

/** One case file, validated with zod: never throws, every problem is one line naming the file. */
export function readCaseFile({
  file,
}: {
  file: string;
}): { ok: true; evalCase: EvalCase } | { ok: false; problems: string[] } {
  const read = readPolicyFile({ file });
  if (!read.ok) return read;
  const parsed = parseSafeYaml({
    text: read.text,
    file,
    expected: 'an eval case (id, agent, evidence, proposal, verdict)',
  });
  if (!parsed.ok) return parsed;
  const result = evalCaseSchema.safeParse(parsed.value);
  if (!result.success) {
    return {
      ok: false,
      problems: formatIssues({
        issues: result.error.issues,
        file,
        input: parsed.value,
        lineOf: parsed.lineOf,
      }),
    };
  }
  return { ok: true, evalCase: result.data };
}

/** The YAML text of a case, as export writes it: stable, so git shows only real changes. */
export function caseYaml(evalCase: EvalCase): string {
  const header =
    evalCase.source === 'kept'
      ? '# Eval case kept from a real decision (warden eval export). Reviewed in git like charters.\n'
      : `# Eval case (${evalCase.source}). Reviewed in git like charters; format: README "Evals".\n`;
  return header + stringify(evalCase, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Writes cases to `dir/<agent>/<id>.yaml`; returns the files written (a file with the same text is left alone). */
export function writeCases({ dir, cases }: { dir: string; cases: readonly EvalCase[] }): {
  written: string[];
  unchanged: string[];
} {
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const evalCase of cases) {
    const folder = join(dir, evalCase.agent);
    mkdirSync(folder, { recursive: true });
    const file = join(folder, `${evalCase.id}.yaml`);
    const text = caseYaml(evalCase);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) {
      unchanged.push(file);
      continue;
    }
    writeFileSync(file, text);
    written.push(file);
  }
  return { written, unchanged };
}
