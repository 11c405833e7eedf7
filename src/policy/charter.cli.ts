import { isWardenError } from '../shared/errors.ts';
import { checkCharterDir } from './charter.loader.ts';
import { promotionNotes } from './charter.promotion-notes.ts';
import { type CharterTestResult, runCharterTests, type ToolCatalog } from './charter-tests.ts';

export type Output = { write: (s: string) => void };

/**
 * `warden charter validate`: checks every charter in `dir`, one line per file; returns the exit code.
 * `knownTools` are the tool catalog's names: a charter naming any other tool is invalid.
 */
export function charterValidateCommand({
  dir,
  knownTools,
  out,
}: {
  dir: string;
  knownTools: readonly string[];
  out: Output;
}): number {
  const { files, problems } = checkCharterDir({ dir, knownTools });
  for (const { file, charter, problems: fileProblems } of files) {
    if (charter) {
      out.write(`✓ ${file} (${charter.agent}, v${charter.version}, hash ${charter.hash.slice(0, 8)})\n`);
      for (const note of promotionNotes(charter)) out.write(`    ! ${note}\n`);
    } else {
      out.write(`✗ ${file}\n`);
      for (const problem of fileProblems) out.write(`    ${problem}\n`);
    }
  }
  for (const problem of problems) out.write(`✗ ${problem}\n`);
  const invalid = files.filter((f) => !f.charter).length;
  if (invalid === 0 && problems.length === 0) {
    out.write(`${files.length} charter${files.length === 1 ? '' : 's'} valid\n`);
    return 0;
  }
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
