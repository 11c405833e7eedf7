import { wardenError } from '../shared/errors.ts';
import { formatIssues } from './charter.issues.ts';
import { listPolicyFiles } from './charter.loader.ts';
import type { Charter } from './charter.schemas.ts';
import type { CharterTestCase, CharterTestExpectation, CharterTestFile } from './charter-tests.schemas.ts';
import { charterTestFileSchema } from './charter-tests.schemas.ts';
import { decide } from './decide.ts';
import type { Decision, Risk, ToolKind } from './decide.types.ts';
import { parseSafeYaml, readPolicyFile } from './yaml-safe.ts';

/** Tool facts the cases are decided with, by tool name; a tool not in the catalog is an unknown tool. */
export type ToolCatalog = Record<string, { kind: ToolKind; risk: Risk; reversible: boolean }>;

export type CharterTestResult = {
  file: string;
  name: string;
  ok: boolean;
  expected: CharterTestExpectation;
  actual: Pick<Decision, 'decision' | 'reasonCode' | 'rule' | 'message' | 'approval'>;
};

export type CharterTestRun = {
  passed: number;
  failed: number;
  results: CharterTestResult[];
  /** Agents whose charter no test file covers. */
  untested: string[];
};

/**
 * Runs every `*.test.yaml` case in `dir` through `decide()` against the loaded charters. Throws
 * `charter.test_invalid` (one line per problem, naming file and path) when a test file itself is wrong.
 */
export function runCharterTests({
  charters,
  dir,
  toolCatalog,
}: {
  charters: readonly Charter[];
  dir: string;
  toolCatalog: ToolCatalog;
}): CharterTestRun {
  const byAgent = new Map(charters.map((c) => [c.agent, c]));
  const problems: string[] = [];
  const suites: { file: string; charter: Charter; suite: CharterTestFile }[] = [];
  for (const file of listPolicyFiles({ dir, tests: true })) {
    const loaded = readTestFile({ file });
    if (!loaded.ok) {
      problems.push(...loaded.problems);
      continue;
    }
    const charter = byAgent.get(loaded.suite.agent);
    if (!charter) {
      problems.push(
        `${file}: agent: names "${loaded.suite.agent}", but no charter in ${dir} defines that agent`,
      );
      continue;
    }
    suites.push({ file, charter, suite: loaded.suite });
  }
  if (problems.length > 0) {
    throw wardenError({ code: 'charter.test_invalid', message: problems.join('\n'), details: { problems } });
  }
  const results = suites.flatMap(({ file, charter, suite }) =>
    suite.cases.map((testCase) => runCase({ file, charter, testCase, toolCatalog })),
  );
  const tested = new Set(suites.map((s) => s.charter.agent));
  const passed = results.filter((r) => r.ok).length;
  return {
    passed,
    failed: results.length - passed,
    results,
    untested: charters.map((c) => c.agent).filter((a) => !tested.has(a)),
  };
}

/** Runs one case; exported so a test can check a single case without files. */
export function runCase({
  file,
  charter,
  testCase,
  toolCatalog,
}: {
  file: string;
  charter: Charter;
  testCase: CharterTestCase;
  toolCatalog: ToolCatalog;
}): CharterTestResult {
  const { request, state, expect } = testCase;
  // A tool imported from an MCP server is not in the tool catalog: its charter's `mcp` entry gives its facts.
  const pinned = Object.hasOwn(charter.tools, request.tool) ? charter.tools[request.tool]?.mcp : undefined;
  const facts = Object.hasOwn(toolCatalog, request.tool)
    ? toolCatalog[request.tool]
    : pinned
      ? { kind: pinned.kind, risk: pinned.risk, reversible: false }
      : undefined;
  const decision = decide({
    charter,
    request: {
      agent: charter.agent,
      tool: facts ? { name: request.tool, ...facts } : null,
      toolName: request.tool,
      args: request.args,
      environment: request.environment,
      requester: request.requester,
      tainted: request.tainted,
    },
    state,
  });
  const approvalOk =
    !expect.approval ||
    (decision.approval !== undefined &&
      decision.approval.count === expect.approval.count &&
      sameSet(decision.approval.from, expect.approval.from) &&
      (expect.approval.groups_mode === undefined ||
        decision.approval.groupsMode === expect.approval.groups_mode));
  const ok =
    decision.decision === expect.decision &&
    decision.reasonCode === expect.reason &&
    (expect.rule === undefined || decision.rule === expect.rule) &&
    approvalOk;
  const { decision: verdict, reasonCode, rule, message, approval } = decision;
  return {
    file,
    name: testCase.name,
    ok,
    expected: expect,
    actual: { decision: verdict, reasonCode, rule, message, ...(approval ? { approval } : {}) },
  };
}

function readTestFile({
  file,
}: {
  file: string;
}): { ok: true; suite: CharterTestFile } | { ok: false; problems: string[] } {
  const read = readPolicyFile({ file });
  if (!read.ok) return read;
  const parsed = parseSafeYaml({ text: read.text, file, expected: 'agent and cases' });
  if (!parsed.ok) return parsed;
  const result = charterTestFileSchema.safeParse(parsed.value);
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
  return { ok: true, suite: result.data };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
