import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { plannerFor } from '../../../src/app/planner.ts';
import { parseConfig } from '../../../src/config/config.ts';
import { readCaseDir, writeCases } from '../../../src/evals/case.files.ts';
import { evalRunCommand } from '../../../src/evals/eval.cli.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import {
  createScriptedOpenAIServer,
  type ScriptedOpenAIServer,
  type ScriptStep,
} from '../../helpers/openai-server.ts';
import { createLogCapture, repoRoot } from '../../helpers/services.ts';

const API_KEY = 'sk-CANARYevalKEY0123456789abcdef';

/** The model reads the incident and the deploys, then proposes a rollback to `version` (or nothing). */
function modelAnswers(version: string | null): ScriptStep[] {
  return [
    {
      toolCalls: [
        { name: 'get_incident', arguments: { incident_id: 'INC-123' } },
        { name: 'get_recent_deploys', arguments: { service: 'checkout', limit: 5 } },
      ],
    },
    {
      toolCalls: [
        {
          name: 'submit_proposals',
          arguments: {
            summary: 'The v2.14.0 deploy broke checkout.',
            proposals: version
              ? [
                  {
                    tool: 'rollback_deploy',
                    environment: 'production',
                    args: { service: 'checkout', to_version: version },
                    rationale: 'Errors started with v2.14.0.',
                    expected_effect: 'Errors drop.',
                    rollback: 'Deploy v2.14.0 again.',
                  },
                ]
              : [],
          },
        },
      ],
    },
  ];
}

describe('warden eval through the OpenAI planner (scripted OpenAI-compatible server)', () => {
  let server: ScriptedOpenAIServer;
  let dir: string;

  beforeAll(async () => {
    server = await createScriptedOpenAIServer({ model: 'scripted-model' });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-evals-openai-'));
    // The shipped case whose approved proposal is the checkout rollback, under a name of the test's own.
    const shipped = readCaseDir({ dir: join(repoRoot, 'evals'), agent: 'triage' }).cases.find(
      (c) => c.evalCase.source === 'kept' && c.evalCase.proposal?.tool === 'rollback_deploy',
    );
    writeCases({ dir, cases: [{ ...shipped!.evalCase, id: 'rollback-checkout' }] });
    return () => rmSync(dir, { recursive: true, force: true });
  });

  const evalRun = async ({ accept = false, repeat = 1 } = {}) => {
    const config = parseConfig({
      env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: server.url, OPENAI_MODEL: 'scripted-model' },
    });
    const redactor = createRedactor({ secrets: config.secrets });
    const logger = createLogger({ level: 'warn', redactor, destination: createLogCapture().stream });
    const lines: string[] = [];
    const code = await evalRunCommand({
      dir,
      chartersDir: join(repoRoot, 'charters'),
      planner: await plannerFor({ config, redactor, logger }),
      redactor,
      accept,
      repeat,
      now: () => 0,
      out: { write: (s) => void lines.push(s) },
    });
    return { code, text: lines.join('') };
  };

  it('names the case a changed model answer regressed, against the accepted baseline', async () => {
    server.reset(modelAnswers('v2.13.4'));
    const accepted = await evalRun({ accept: true });
    expect(accepted.code).toBe(0);
    expect(accepted.text).toContain('triage: model scripted-model, prompt ');
    expect(accepted.text).toContain('✓ rollback-checkout (approved): agree');
    // Two model calls of the default usage (120 tokens each).
    expect(accepted.text).toContain('tokens 240');
    const baseline = JSON.parse(readFileSync(join(dir, 'triage', 'baseline.json'), 'utf8'));
    expect(baseline.cases['rollback-checkout']).toMatchObject({ outcome: 'agree' });
    expect(baseline.versions).toMatchObject({ planner: 'openai', model: 'scripted-model' });
    // The model saw the recorded tool results, delimited and redacted; never the key.
    const prompts = server.rawBodies.join('\n');
    expect(prompts).toContain('dep-1004');
    expect(prompts).not.toContain(API_KEY);

    // The model now rolls back to another version: a named regression, and the gate fails.
    server.reset(modelAnswers('v2.12.0'));
    const changed = await evalRun();
    expect(changed.code).toBe(1);
    expect(changed.text).toMatch(
      /≠ rollback-checkout \(approved\): disagree, proposed rollback_deploy in production with other arguments/,
    );
    expect(changed.text).toContain('REGRESSION: was agree');
    expect(changed.text).toContain('1 regression(s) against the baseline: rollback-checkout');

    // Proposing nothing is a conservative miss, also a regression.
    server.reset(modelAnswers(null));
    const timid = await evalRun();
    expect(timid.code).toBe(1);
    expect(timid.text).toContain('conservative misses 1');
    expect(timid.text).toMatch(/rollback-checkout \(approved\): conservative_miss/);
  });

  it('measures stability over repeated runs of the same case', async () => {
    server.reset([...modelAnswers('v2.13.4'), ...modelAnswers('v2.12.0'), ...modelAnswers('v2.13.4')]);
    const repeated = await evalRun({ repeat: 3 });
    expect(repeated.text).toContain('3 runs per case');
    expect(repeated.text).toContain('unstable cases 1 of 1');
    expect(repeated.text).toContain('[unstable]');
    // The worst of the repeats counts.
    expect(repeated.text).toContain('disagree');
  });
});
