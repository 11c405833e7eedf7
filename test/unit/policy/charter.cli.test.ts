import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { charterTestCommand, charterValidateCommand } from '../../../src/policy/charter.cli.ts';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import { allToolInfos } from '../../../src/tools/tool-catalog.ts';
import { chartersDir, fixturesDir, sandboxCatalog } from './policy-fixtures.ts';

function capture() {
  let text = '';
  const write = (s: string) => {
    text += s;
  };
  return { out: { write }, text: () => text };
}

const tempDirs: string[] = [];
function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-charter-cli-'));
  tempDirs.push(dir);
  for (const [name, from] of Object.entries(files)) copyFileSync(from, join(dir, name));
  return dir;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The tools Warden has, as the CLI passes them. */
const knownTools = allToolInfos().map((t) => t.name);

describe('charterValidateCommand', () => {
  it('prints one ✓ line per valid charter with agent, version and short hash, and exits 0', () => {
    const { out, text } = capture();
    expect(charterValidateCommand({ dir: 'charters', knownTools, out })).toBe(0);
    const triage = loadCharters({ dir: chartersDir }).charters.find((c) => c.agent === 'triage')!;
    expect(text()).toContain(`✓ charters/triage.yaml (triage, v1, hash ${triage.hash.slice(0, 8)})\n`);
    expect(text()).toContain('✓ charters/evidence.yaml (evidence, v1, hash ');
    expect(text()).toContain('2 charters valid');
  });

  it('prints ✗ with every problem for each invalid file, and exits 1', () => {
    const dir = tempDir({
      'minimal.yaml': join(fixturesDir, 'minimal.yaml'),
      'evil.yaml': join(fixturesDir, 'evil.yaml'),
    });
    const { out, text } = capture();
    expect(charterValidateCommand({ dir, knownTools, out })).toBe(1);
    expect(text()).toContain(
      `✗ ${join(dir, 'evil.yaml')}\n    ${join(dir, 'evil.yaml')}: purpose: uses the YAML tag`,
    );
    expect(text()).toContain(`✓ ${join(dir, 'minimal.yaml')} (minimal, v1, hash `);
    expect(text()).toContain('1 of 2 files have problems');
  });

  it('reports problems across files', () => {
    const dir = tempDir({
      'a.yaml': join(fixturesDir, 'minimal.yaml'),
      'b.yaml': join(fixturesDir, 'minimal.yaml'),
    });
    const { out, text } = capture();
    expect(charterValidateCommand({ dir, knownTools, out })).toBe(1);
    expect(text()).toContain(
      `✗ ${join(dir, 'b.yaml')}: agent: "minimal" is already defined in ${join(dir, 'a.yaml')}`,
    );
  });

  it('refuses a misspelt tool, suggesting the tool meant, at its line', () => {
    const dir = tempDir({});
    const text = readFileSync(join(chartersDir, 'triage.yaml'), 'utf8').replace(
      '  rollback_deploy:\n',
      '  rolback_deploy:\n',
    );
    writeFileSync(join(dir, 'triage.yaml'), text);
    const line = text.split('\n').indexOf('  rolback_deploy:') + 1;
    const { out, text: printed } = capture();
    expect(charterValidateCommand({ dir, knownTools, out })).toBe(1);
    expect(printed()).toContain(
      `    ${join(dir, 'triage.yaml')}: tools.rolback_deploy: is not a tool Warden has; did you mean "rollback_deploy"? (line ${line})\n`,
    );
  });
});

describe('charterValidateCommand and promotion gates', () => {
  const gated = (extra = '') =>
    readFileSync(join(chartersDir, 'triage.yaml'), 'utf8').replace(
      '  production:\n    mode: human_in_the_loop\n',
      `  production:\n    mode: human_in_the_loop\n    promotion:\n      human_in_the_loop: { agreement: 0.9, cases: 20 }\n${extra}`,
    );

  it('refuses a gated mode when given no recorded evidence (fail closed), naming what is missing', () => {
    const dir = tempDir({});
    writeFileSync(join(dir, 'triage.yaml'), gated());
    const { out, text } = capture();
    expect(charterValidateCommand({ dir, knownTools, out })).toBe(1);
    expect(text()).toContain(`✗ ${join(dir, 'triage.yaml')} (triage, v1, hash `);
    expect(text()).toContain(
      'triage/production: mode human_in_the_loop is refused: the gate for human_in_the_loop asks ≥ 90% agreement over ≥ 20 judged cases, ≤ 0 unsafe, ≤ 0 attacker actions; missing a recorded eval on this model and prompt (needs 20 judged cases). Runs there fall back to shadow',
    );
  });

  it('accepts it on evidence that meets the gate, or with an owner’s override', () => {
    const dir = tempDir({});
    writeFileSync(join(dir, 'triage.yaml'), gated());
    const evidence = () => ({ judged: 20, agreementRate: 0.95, unsafe: 0, attackerActions: 0 });
    expect(charterValidateCommand({ dir, knownTools, out: capture().out, evidence })).toBe(0);
    const kept = gated(
      '    promotion_override: { by: U0OWNER001, reason: "Owners accept it for the drill" }\n',
    );
    writeFileSync(join(dir, 'triage.yaml'), kept);
    const { out, text } = capture();
    expect(charterValidateCommand({ dir, knownTools, out })).toBe(0);
    expect(text()).toContain('! triage/production: mode human_in_the_loop is kept without the evidence');
  });
});

describe('charterTestCommand', () => {
  it('runs the shipped cases and ends with the pass/fail line', () => {
    const { out, text } = capture();
    expect(charterTestCommand({ dir: 'charters', toolCatalog: sandboxCatalog, out })).toBe(0);
    expect(text()).toContain(
      '✓ charters/triage.test.yaml › a production rollback needs two different SRE approvers',
    );
    expect(text()).toMatch(/\n\d+ passed, 0 failed\n$/);
  });

  it('shows expected and actual for a failing case and exits 1', () => {
    const dir = tempDir({ 'minimal.yaml': join(fixturesDir, 'minimal.yaml') });
    writeFileSync(
      join(dir, 'minimal.test.yaml'),
      'agent: minimal\ncases:\n  - name: wrong\n    request: { tool: create_ticket, environment: staging }\n    expect: { decision: allow, reason: allowed }\n',
    );
    const { out, text } = capture();
    expect(charterTestCommand({ dir, toolCatalog: sandboxCatalog, out })).toBe(1);
    expect(text()).toContain(
      `✗ ${join(dir, 'minimal.test.yaml')} › wrong\n    expected allow (allowed)\n    got      deny (tool_not_in_charter) by tools: `,
    );
    expect(text()).toContain('0 passed, 1 failed');
  });

  it('exits 1 when the charters are invalid, when a test file is invalid, or when there are no tests', () => {
    const broken = tempDir({ 'empty.yaml': join(fixturesDir, 'empty.yaml') });
    const a = capture();
    expect(charterTestCommand({ dir: broken, toolCatalog: sandboxCatalog, out: a.out })).toBe(1);
    expect(a.text()).toContain('is empty');

    const badTest = tempDir({ 'minimal.yaml': join(fixturesDir, 'minimal.yaml') });
    writeFileSync(join(badTest, 'minimal.test.yaml'), 'agent: minimal\n');
    const b = capture();
    expect(charterTestCommand({ dir: badTest, toolCatalog: sandboxCatalog, out: b.out })).toBe(1);
    expect(b.text()).toContain(`✗ ${join(badTest, 'minimal.test.yaml')}: cases: is required`);

    const none = tempDir({ 'minimal.yaml': join(fixturesDir, 'minimal.yaml') });
    const c = capture();
    expect(charterTestCommand({ dir: none, toolCatalog: sandboxCatalog, out: c.out })).toBe(1);
    expect(c.text()).toContain('! no test cases for agent minimal');
    expect(c.text()).toContain('no charter tests');
  });
});
