import { isWardenError } from '../shared/errors.ts';
import { checkCharterDir } from './charter.loader.ts';
import { promotionNotes } from './charter.promotion-notes.ts';
import type { EvidenceLookup } from './charter.promotion-refusals.ts';
import { type CharterTestResult, runCharterTests, type ToolCatalog } from './charter-tests.ts';

export type Output = { write: (s: string) => void };

/** No evidence was read (no database given): every promotion gate is unmet, so a gated mode is refused. */
const NO_EVIDENCE: EvidenceLookup = () => null;

/**
 * `warden charter validate`: checks every charter in `dir`, one line per file; returns the exit code.
 * `knownTools` are the tool catalog's names: a charter naming any other tool is invalid. A charter whose
 * mode in an environment is above what the recorded eval evidence (`evidence`, on the versions its runs
 * have) supports is refused, unless an owner's `promotion_override` keeps it; without `evidence`, nothing
 * is recorded, so a gated mode is refused (fail closed).
 */
export function charterValidateCommand({
  dir,
  knownTools,
  out,
  evidence = NO_EVIDENCE,
}: {
  dir: string;
  knownTools: readonly string[];
  out: Output;
  evidence?: EvidenceLookup;
}): number {
  const { files, problems } = checkCharterDir({ dir, knownTools });
  let refused = 0;
  for (const { file, charter, problems: fileProblems } of files) {
    if (charter) {
      const notes = promotionNotes({ charter, evidence });
      refused += notes.refused.length;
      const mark = notes.refused.length > 0 ? '✗' : '✓';
      out.write(
        `${mark} ${file} (${charter.agent}, v${charter.version}, hash ${charter.hash.slice(0, 8)})\n`,
      );
      for (const line of notes.refused) out.write(`    ${line}\n`);
      for (const note of notes.notes) out.write(`    ! ${note}\n`);
    } else {
      out.write(`✗ ${file}\n`);
      for (const problem of fileProblems) out.write(`    ${problem}\n`);
    }
  }
  for (const problem of problems) out.write(`✗ ${problem}\n`);
  const invalid = files.filter((f) => !f.charter).length;
  if (refused > 0)
    out.write(
      `charters refused: ${refused} environment mode${refused === 1 ? ' is' : 's are'} above the recorded eval evidence\n`,
    );
  if (invalid === 0 && problems.length === 0 && refused === 0) {
    out.write(`${files.length} charter${files.length === 1 ? '' : 's'} valid\n`);
    return 0;
  }
  if (invalid === 0 && problems.length === 0) return 1;
  out.write(
    `charters invalid: ${invalid} of ${files.length} files have problems${problems.length ? `, plus ${problems.length} across files` : ''}\n`,
  );
  return 1;
}

/** `warden charter test`: runs the `*.test.yaml` cases in `dir` against its charters; returns the exit code. */
export function charterTestCommand({
  dir,
  toolCatalog,
  out,
}: {
  dir: string;
  toolCatalog: ToolCatalog;
  out: Output;
}): number {
  const { files, problems } = checkCharterDir({ dir, knownTools: Object.keys(toolCatalog) });
  const allProblems = [...files.flatMap((f) => f.problems), ...problems];
  if (allProblems.length > 0) {
    for (const problem of allProblems) out.write(`✗ ${problem}\n`);
    out.write('charters invalid: fix them (warden charter validate) before running their tests\n');
    return 1;
  }
  const charters = files.flatMap((f) => (f.charter ? [f.charter] : []));
  let run: ReturnType<typeof runCharterTests>;
  try {
    run = runCharterTests({ charters, dir, toolCatalog });
  } catch (error) {
    if (!isWardenError(error)) throw error;
    for (const line of error.message.split('\n')) out.write(`✗ ${line}\n`);
    return 1;
  }
  for (const result of run.results) out.write(`${formatResult(result)}\n`);
  for (const agent of run.untested) out.write(`! no test cases for agent ${agent}\n`);
  out.write(`${run.passed} passed, ${run.failed} failed\n`);
  if (run.results.length === 0) {
    out.write(`✗ no charter tests (*.test.yaml) found in ${dir}\n`);
    return 1;
  }
  return run.failed === 0 ? 0 : 1;
}

function formatResult(result: CharterTestResult): string {
  const title = `${result.file} › ${result.name}`;
  if (result.ok) return `✓ ${title}`;
  const { expected, actual } = result;
  const want = `${expected.decision} (${expected.reason})${expected.rule ? ` by ${expected.rule}` : ''}`;
  const wantApproval = expected.approval
    ? `, approval ${expected.approval.count} from ${expected.approval.from.join('/')}`
    : '';
  const gotApproval = actual.approval
    ? `, approval ${actual.approval.count} from ${actual.approval.from.join('/')}`
    : '';
  const got = `${actual.decision} (${actual.reasonCode}) by ${actual.rule}${gotApproval}`;
  return `✗ ${title}\n    expected ${want}${wantApproval}\n    got      ${got}: ${actual.message}`;
}
