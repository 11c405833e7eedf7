import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { OUTCOME_RANK } from './score.ts';

const outcomeSchema = z.enum(
  Object.keys(OUTCOME_RANK) as [keyof typeof OUTCOME_RANK, ...(keyof typeof OUTCOME_RANK)[]],
);

/** `evals/<agent>/baseline.json`: the last accepted eval of an agent, case by case (`warden eval --accept`). */
export const baselineSchema = z.strictObject({
  agent: z.string(),
  versions: z.strictObject({
    planner: z.string(),
    model: z.string().nullable(),
    prompt: z.string().nullable(),
  }),
  cases: z.record(
    z.string(),
    z.strictObject({ environment: z.string(), outcome: outcomeSchema, proposals: z.array(z.string()) }),
  ),
});
export type Baseline = z.infer<typeof baselineSchema>;

export const BASELINE_FILE = 'baseline.json';

/** The agent's accepted baseline; null when there is none; a problem line when the file is broken. */
export function readBaseline({ dir, agent }: { dir: string; agent: string }): {
  baseline: Baseline | null;
  problem: string | null;
} {
  const file = join(dir, agent, BASELINE_FILE);
  if (!existsSync(file)) return { baseline: null, problem: null };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return {
      baseline: null,
      problem: `${file}: not JSON (${error instanceof Error ? error.message : String(error)}); accept a new one with --accept`,
    };
  }
  const parsed = baselineSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      baseline: null,
      problem: `${file}: ${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'invalid'}; accept a new one with --accept`,
    };
  }
  return { baseline: parsed.data, problem: null };
}

/** Writes the baseline with sorted case ids, so a re-accept of the same results changes nothing in git. */
export function writeBaseline({ dir, baseline }: { dir: string; baseline: Baseline }): string {
  const file = join(dir, baseline.agent, BASELINE_FILE);
  const cases = Object.fromEntries(Object.entries(baseline.cases).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify({ ...baseline, cases }, null, 2)}\n`);
  return file;
}
