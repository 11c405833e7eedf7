import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import { runCharterTests } from '../../../src/policy/charter-tests.ts';
import { isWardenError } from '../../../src/shared/errors.ts';
import { chartersDir, fixturesDir, sandboxCatalog } from './policy-fixtures.ts';

const tempDirs: string[] = [];
function dirWithMinimal(testYaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-charter-tests-'));
  tempDirs.push(dir);
  copyFileSync(join(fixturesDir, 'minimal.yaml'), join(dir, 'minimal.yaml'));
  writeFileSync(join(dir, 'minimal.test.yaml'), testYaml);
  return dir;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(dir: string) {
  return runCharterTests({ charters: loadCharters({ dir }).charters, dir, toolCatalog: sandboxCatalog });
}

function problemsOf(dir: string): string[] {
  try {
    run(dir);
  } catch (error) {
    if (isWardenError(error, 'charter.test_invalid')) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected charter.test_invalid');
}

describe('the shipped charter tests', () => {
  it('all pass against the shipped charters', () => {
    const result = run(chartersDir);
    const failures = result.results.filter((r) => !r.ok);
    expect(failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.passed).toBe(result.results.length);
    expect(result.untested).toEqual([]);
    expect(new Set(result.results.map((r) => r.file.split('/').at(-1)))).toEqual(
      new Set(['triage.test.yaml', 'evidence.test.yaml']),
    );
  });

  it('cover every reason code the shipped charters can give', () => {
    const reasons = new Set(run(chartersDir).results.map((r) => r.expected.reason));
    for (const code of [
      'kill_switch',
      'tool_unknown',
      'tool_not_in_charter',
      'env_unknown',
      'prohibited',
      'args_constraint',
      'budget_exhausted',
      'breaker_open',
      'allowed',
      'allowed_low_risk',
      'needs_approval',
    ]) {
      expect(reasons.has(code as never), code).toBe(true);
    }
  });

  it('would catch a charter change: loosening a rule makes a shipped case fail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-charter-tests-'));
    tempDirs.push(dir);
    const triage = readFileSync(join(chartersDir, 'triage.yaml'), 'utf8').replace(
      'approve: { count: 2, from: [sre-approvers] }',
      'approve: { count: 1, from: [sre-approvers] }',
    );
    writeFileSync(join(dir, 'triage.yaml'), triage);
    copyFileSync(join(chartersDir, 'triage.test.yaml'), join(dir, 'triage.test.yaml'));
    const result = run(dir);
    expect(result.failed).toBe(1);
    expect(result.results.find((r) => !r.ok)?.name).toBe(
      'a production rollback needs two different SRE approvers',
    );
  });
});

describe('runCharterTests', () => {
  it('reports a failing case with what was expected and what came out', () => {
    const dir = dirWithMinimal(`agent: minimal
cases:
  - name: wrongly expects a write to be allowed
    request: { tool: create_ticket, environment: staging }
    expect: { decision: allow, reason: allowed }
  - name: reads are allowed
    request: { tool: get_incident, environment: staging, args: { incident_id: INC-1 } }
    expect: { decision: allow, reason: allowed, rule: tools.get_incident.environments.staging }
`);
    const result = run(dir);
    expect(result).toMatchObject({ passed: 1, failed: 1 });
    expect(result.results[0]).toMatchObject({
      file: join(dir, 'minimal.test.yaml'),
      name: 'wrongly expects a write to be allowed',
      ok: false,
      expected: { decision: 'allow', reason: 'allowed' },
      actual: { decision: 'deny', reasonCode: 'tool_not_in_charter', rule: 'tools' },
    });
  });

  it('checks the rule and the approval when a case names them', () => {
    const dir = dirWithMinimal(`agent: minimal
cases:
  - name: names the wrong rule
    request: { tool: get_incident, environment: staging }
    expect: { decision: allow, reason: allowed, rule: tools.get_incident.environments.production }
  - name: expects an approval that is not asked for
    request: { tool: get_incident, environment: staging }
    expect: { decision: allow, reason: allowed, approval: { count: 1, from: [oncall] } }
`);
    expect(run(dir).results.map((r) => r.ok)).toEqual([false, false]);
  });

  it('treats a tool missing from the catalog as unknown', () => {
    const dir = dirWithMinimal(`agent: minimal
cases:
  - name: a made-up tool
    request: { tool: get_incident_v2, environment: staging }
    expect: { decision: deny, reason: tool_unknown }
`);
    expect(run(dir)).toMatchObject({ passed: 1, failed: 0 });
  });

  it('refuses a test file with unknown keys or bad values, naming file and path', () => {
    const dir = dirWithMinimal(`agent: minimal
cases:
  - name: typo in the expectation
    request: { tool: get_incident, environment: staging }
    expect: { decision: allowed, reason: fine }
    extra: true
`);
    const file = join(dir, 'minimal.test.yaml');
    const lines = problemsOf(dir);
    expect(lines).toContain(`${file}: cases[0].extra: is not a known key (line 6)`);
    expect(lines.some((l) => l.startsWith(`${file}: cases[0].expect.decision: must be "allow"`))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}: cases[0].expect.reason: must be "kill_switch"`))).toBe(
      true,
    );
  });

  it('refuses a test file for an agent no charter defines, and duplicate case names', () => {
    const other = dirWithMinimal(
      'agent: ghost\ncases:\n  - { name: x y z, request: { tool: a, environment: b }, expect: { decision: deny, reason: tool_unknown } }\n',
    );
    expect(problemsOf(other)[0]).toContain('minimal.test.yaml: agent: names "ghost", but no charter');
    const dupes = dirWithMinimal(`agent: minimal
cases:
  - { name: same name, request: { tool: a, environment: b }, expect: { decision: deny, reason: tool_unknown } }
  - { name: same name, request: { tool: a, environment: b }, expect: { decision: deny, reason: tool_unknown } }
`);
    expect(problemsOf(dupes)[0]).toContain('cases[1].name: "same name" is used by another case');
  });

  it('applies the same YAML hardening to test files', () => {
    const dir = dirWithMinimal('agent: !!js/function minimal\ncases: []\n');
    expect(problemsOf(dir)[0]).toContain('agent: uses the YAML tag !!js/function');
  });
});
