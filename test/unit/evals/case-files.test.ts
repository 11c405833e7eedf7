import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import { readCaseDir, readCaseFile } from '../../../src/evals/case.files.ts';
import { evalRunCommand } from '../../../src/evals/eval.cli.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { repoRoot } from '../../helpers/services.ts';

const VALID = `id: hand-written-1
agent: triage
environment: production
incident: INC-9
tools: [get_incident]
evidence:
  - tool: get_incident
    environment: production
    args: { incident_id: INC-9 }
    output: null
    error: not found
proposal: { tool: create_ticket, environment: production, args: { title: t } }
verdict: { kind: rejected, reason: noise }
`;

describe('eval case files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-case-files-'));
    mkdirSync(join(dir, 'triage'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = join(dir, 'triage', name);
    writeFileSync(file, text);
    return file;
  };

  it('reads a hand-written case with its defaults', () => {
    const read = readCaseFile({ file: write('ok.yaml', VALID) });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.evalCase.source).toBe('hand_written');
    expect(read.evalCase.evidence[0]).toMatchObject({
      decision: 'allow',
      reason: 'allowed',
      args: { incident_id: 'INC-9' },
    });
  });

  it.each([
    ['empty', '', /empty|expected/i],
    ['malformed', 'id: [unclosed\nagent: triage', /line \d+/],
    ['a YAML tag', `${VALID}extra: !!js/function "x"`, /tag/i],
    [
      'no verdict and no attacker actions',
      VALID.replace('verdict: { kind: rejected, reason: noise }\n', ''),
      /verdict: is required/,
    ],
    ['an unknown verdict', VALID.replace('kind: rejected', 'kind: maybe'), /verdict\.kind/],
    ['a bad id', VALID.replace('id: hand-written-1', 'id: ../../etc/passwd'), /id: letters, digits/],
    ['an unknown key', `${VALID}approved_by_ceo: true\n`, /approved_by_ceo/],
  ])('refuses a case file with %s, in one line naming the file', (_, text, message) => {
    const file = write('bad.yaml', text);
    const read = readCaseFile({ file });
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problems.length).toBeGreaterThan(0);
    for (const problem of read.problems) expect(problem.startsWith(file)).toBe(true);
    expect(read.problems.join('\n')).toMatch(message);
  });

  it('refuses a case filed under another agent and a duplicate id', () => {
    write('a.yaml', VALID);
    write('b.yaml', VALID);
    mkdirSync(join(dir, 'deploy'));
    writeFileSync(join(dir, 'deploy', 'c.yaml'), VALID.replace('id: hand-written-1', 'id: other'));
    const { problems } = readCaseDir({ dir });
    expect(problems.join('\n')).toContain('is "triage", but the file is under deploy/');
    expect(problems.join('\n')).toContain('"hand-written-1" is already the id of');
  });

  it('warden eval prints the problems of broken files and a broken baseline, never a stack trace, and exits 1', async () => {
    write('bad.yaml', 'id: [');
    writeFileSync(join(dir, 'triage', 'baseline.json'), '{"agent": 1}');
    write('ok.yaml', VALID);
    const lines: string[] = [];
    const code = await evalRunCommand({
      dir,
      chartersDir: join(repoRoot, 'charters'),
      planner: createOfflinePlanner(),
      redactor: createRedactor(),
      out: { write: (s) => void lines.push(s) },
    });
    const text = lines.join('');
    expect(code).toBe(1);
    expect(text).toContain('bad.yaml');
    expect(text).toContain('baseline.json: agent:');
    expect(text).toContain('eval not run');
    expect(text).not.toMatch(/\n\s+at /);
  });
});
