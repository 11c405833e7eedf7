import type { Planner } from '../agents/planner.types.ts';
import type { DbOrTx } from '../db/client.ts';
import { checkCharterDir } from '../policy/charter.loader.ts';
import type { Redactor } from '../shared/redact.ts';
import type { ToolInfo } from '../tools/define.ts';
import { allToolInfos } from '../tools/tool-catalog.ts';
import type { ToolWorld } from '../tools/tool-spec.ts';
import { type Baseline, readBaseline, writeBaseline } from './baseline.ts';
import { readCaseDir, writeCases } from './case.files.ts';
import { listEvalCases } from './case.repository.ts';
import { type EvalCase, evalCaseSchema } from './case.schemas.ts';
import { baselinesOf, formatEvalReport } from './eval.format.ts';
import { type EvalRecorder, evalResultRows, recordEvalResults } from './eval.record.ts';
import { runEvals } from './eval.run.ts';
import { toolInfosOf } from './world.ts';

export type Output = { write: (s: string) => void };

/** `warden eval export`: writes every kept case from the database to `dir/<agent>/<id>.yaml`; the exit code. */
export async function evalExportCommand({
  db,
  dir,
  agent,
  out,
}: {
  db: DbOrTx;
  dir: string;
  agent?: string;
  out: Output;
}): Promise<number> {
  const rows = await listEvalCases({ db, ...(agent ? { agent } : {}) });
  const cases: EvalCase[] = [];
  for (const row of rows) {
    const parsed = evalCaseSchema.safeParse(row.case);
    if (parsed.success) cases.push(parsed.data);
    else
      out.write(
        `✗ kept case ${row.id} (${row.proposalId}) is not a valid case: ${parsed.error.issues[0]?.message ?? 'invalid'}\n`,
      );
  }
  const { written, unchanged } = writeCases({ dir, cases });
  for (const file of written) out.write(`✓ wrote ${file}\n`);
  out.write(
    `${rows.length} kept case${rows.length === 1 ? '' : 's'}: ${written.length} written, ${unchanged.length} unchanged${rows.length === 0 ? ' (keep one with /agent keep <proposal-id>)' : ''}\n`,
  );
  return cases.length === rows.length ? 0 : 1;
}

/**
 * `warden eval [--agent A] [--repeat N] [--accept] [--json]`: replays the cases in `dir` through `planner`,
 * prints the report beside each agent's baseline, writes new baselines with `--accept`, records the
 * figures in `eval_results` when given a `recorder` (the evidence runs are held against), and returns 1 when
 * the gate fails or recording does (with `--accept`, regressions against the old baseline are accepted).
 */
export async function evalRunCommand({
  dir,
  chartersDir,
  planner,
  toolsFor = toolInfosOf,
  redactor,
  agent,
  repeat = 1,
  accept = false,
  json = false,
  now = () => performance.now(),
  recorder = null,
  out,
}: {
  dir: string;
  chartersDir: string;
  planner: Planner;
  /** The tools of each world (by default the tool catalog's). */
  toolsFor?: (world: ToolWorld) => readonly ToolInfo[];
  redactor: Redactor;
  agent?: string;
  repeat?: number;
  accept?: boolean;
  json?: boolean;
  now?: () => number;
  /** Where to record the results; null: not recorded (`--no-record`, or no database). */
  recorder?: EvalRecorder | null;
  out: Output;
}): Promise<number> {
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
    out.write('✗ --repeat must be a whole number from 1 to 100\n');
    return 2;
  }
  const charterCheck = checkCharterDir({ dir: chartersDir, knownTools: allToolInfos().map((t) => t.name) });
  const charterProblems = [...charterCheck.files.flatMap((f) => f.problems), ...charterCheck.problems];
  const { cases, problems } = readCaseDir({ dir, ...(agent ? { agent } : {}) });
  const baselines = new Map<string, Baseline>();
  for (const name of new Set(cases.map((c) => c.evalCase.agent))) {
    const read = readBaseline({ dir, agent: name });
    if (read.problem) problems.push(read.problem);
    if (read.baseline) baselines.set(name, read.baseline);
  }
  const all = [...charterProblems, ...problems];
  if (all.length > 0) {
    for (const problem of all) out.write(`✗ ${problem}\n`);
    out.write('eval not run: fix the files above first\n');
    return 1;
  }
  const charters = new Map(
    charterCheck.files.flatMap((f) => (f.charter ? [[f.charter.agent, f.charter] as const] : [])),
  );
  const report = await runEvals({
    cases,
    charters,
    planner,
    toolsFor,
    redactor,
    baselines,
    repeat,
    now,
  });
  out.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatEvalReport(report));
  const failures = accept
    ? report.gate.failures.filter((f) => f.kind !== 'regression')
    : report.gate.failures;
  if (accept) {
    for (const baseline of baselinesOf(report)) out.write(`✓ accepted ${writeBaseline({ dir, baseline })}\n`);
  }
  const recorded = recorder
    ? await record({ recorder, report, cases, charters, planner, toolsFor, out, json })
    : true;
  return failures.length === 0 && recorded ? 0 : 1;
}

/** Records the report's figures; false (said on `out`) when the database refused them. */
async function record({
  recorder,
  out,
  json,
  ...input
}: Omit<Parameters<typeof evalResultRows>[0], 'actor' | 'now'> & {
  recorder: EvalRecorder;
  out: Output;
  /** The report was JSON: only a failure is written, so the output stays one JSON document. */
  json: boolean;
}): Promise<boolean> {
  const rows = evalResultRows({ ...input, actor: recorder.actor, now: recorder.clock.now() });
  try {
    await recordEvalResults({ recorder, rows });
  } catch (error) {
    out.write(`✗ the results were not recorded: ${error instanceof Error ? error.message : String(error)}\n`);
    return false;
  }
  if (json) return true;
  for (const row of rows)
    out.write(
      `✓ recorded ${row.agent}/${row.environment}: ${row.agree}/${row.judged} agreement, ${row.unsafe} unsafe, mode ${row.mode} ${row.passed ? 'supported' : 'NOT supported'} (model ${row.model ?? 'none'}, prompt ${row.prompt?.slice(0, 12) ?? 'none'})\n`,
    );
  return true;
}
