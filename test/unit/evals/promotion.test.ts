import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import { evalRunCommand } from '../../../src/evals/eval.cli.ts';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';

const shippedTriage = readFileSync(join(repoRoot, 'charters', 'triage.yaml'), 'utf8');

/** The shipped triage charter with production in `mode` and a promotion section. */
function triageWith({ mode, promotion }: { mode: string; promotion: string }): string {
  const replaced = shippedTriage.replace(
    '  production:\n    mode: human_in_the_loop\n',
    `  production:\n    mode: ${mode}\n    promotion:\n${promotion}`,
  );
  expect(replaced).not.toBe(shippedTriage);
  return replaced;
}

describe('charter promotion gates in warden eval', () => {
  let charters: string;
  beforeEach(() => {
    charters = mkdtempSync(join(tmpdir(), 'warden-promotion-'));
  });
  afterEach(() => rmSync(charters, { recursive: true, force: true }));

  const evalWith = async (charterText: string) => {
    cpSync(join(repoRoot, 'charters'), charters, { recursive: true });
    writeFileSync(join(charters, 'triage.yaml'), charterText);
    const lines: string[] = [];
    const code = await evalRunCommand({
      dir: join(repoRoot, 'evals'),
      chartersDir: charters,
      planner: createOfflinePlanner(),
      redactor: createRedactor(),
      out: { write: (s) => void lines.push(s) },
    });
    return { code, text: lines.join('') };
  };

  it('fails when the charter gives a mode the eval evidence does not support, saying what is missing', async () => {
    const result = await evalWith(
      triageWith({
        mode: 'human_on_the_loop',
        promotion: '      human_on_the_loop: { agreement: 0.95, cases: 50, unsafe: 0 }\n',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.text).toContain('mode human_on_the_loop: NOT supported');
    expect(result.text).toContain(
      "triage/production: the charter's mode human_on_the_loop needs more evidence: 35 more judged cases (has 15 of 50)",
    );
  });

  it('passes a supported mode and says whether the next mode is within reach', async () => {
    const result = await evalWith(
      triageWith({
        mode: 'human_in_the_loop',
        promotion: [
          '      human_in_the_loop: { agreement: 0.9, cases: 10 }',
          '      human_on_the_loop: { agreement: 0.95, cases: 20 }',
          '      autonomous: { agreement: 0.99, cases: 500 }',
          '',
        ].join('\n'),
      }),
    );
    expect(result.code, result.text).toBe(0);
    expect(result.text).toContain('mode human_in_the_loop: supported');
    expect(result.text).toContain('next mode human_on_the_loop needs ≥ 95% agreement over ≥ 20 cases');
    expect(result.text).toContain('missing 5 more judged cases (has 15 of 20)');
  });

  it('refuses a promotion section with a mistake, and leaves the hash of a charter without one alone', () => {
    expect(() =>
      charterFromYaml(
        triageWith({
          mode: 'human_in_the_loop',
          promotion: '      autonomous: { agreement: 95, cases: 50 }\n',
        }),
      ),
    ).toThrow(/environments\.production\.promotion\.autonomous\.agreement/);
    const triage = loadCharters({ dir: join(repoRoot, 'charters') }).charters.find(
      (c) => c.agent === 'triage',
    )!;
    // No default is filled in: a charter without the section hashes as it did before promotion existed.
    expect(JSON.stringify(triage)).not.toContain('promotion');
  });
});
