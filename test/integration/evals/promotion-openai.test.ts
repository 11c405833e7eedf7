import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Planner } from '../../../src/agents/planner.types.ts';
import { plannerFor } from '../../../src/app/planner.ts';
import { parseConfig } from '../../../src/config/config.ts';
import { readCaseDir, writeCases } from '../../../src/evals/case.files.ts';
import { evalRunCommand } from '../../../src/evals/eval.cli.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { createScriptedOpenAIServer, type ScriptedOpenAIServer } from '../../helpers/openai-server.ts';
import { charterFromYaml, createLogCapture, repoRoot } from '../../helpers/services.ts';
import { people, runAuditEvents, runnerFor, useRunnerServices } from '../agents/agents.helpers.ts';
import { CAPPED_IN_PRODUCTION, OWNER, promotedTriageYaml } from './promotion.helpers.ts';

/** The model reads the incident, then proposes the checkout rollback people approved. */
const rollback = [
  { toolCalls: [{ name: 'get_incident', arguments: { incident_id: 'INC-123' } }] },
  {
    toolCalls: [
      {
        name: 'submit_proposals',
        arguments: {
          summary: 'The v2.14.0 deploy broke checkout.',
          proposals: [
            {
              tool: 'rollback_deploy',
              environment: 'production',
              args: { service: 'checkout', to_version: 'v2.13.4' },
              rationale: 'Errors started with v2.14.0.',
              expected_effect: 'Errors drop.',
              rollback: 'Deploy v2.14.0 again.',
            },
          ],
        },
      },
    ],
  },
];

/** A gate one agreeing case meets, so the scripted model can earn it. */
const yaml = promotedTriageYaml({ cases: 1 });

describe.each(databaseKinds)('promotion gates across a model change (OpenAI planner) on %s', (kind) => {
  let server: ScriptedOpenAIServer;
  let dir: string;
  const { services, runRow } = useRunnerServices({ kind, charters: () => [charterFromYaml(yaml)] });

  beforeAll(async () => {
    server = await createScriptedOpenAIServer({ model: 'model-a' });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-promotion-openai-'));
    const shipped = readCaseDir({ dir: join(repoRoot, 'evals'), agent: 'triage' }).cases.find(
      (c) => c.evalCase.source === 'kept' && c.evalCase.proposal?.tool === 'rollback_deploy',
    );
    writeCases({ dir: join(dir, 'evals'), cases: [{ ...shipped!.evalCase, id: 'rollback-checkout' }] });
    writeFileSync(join(dir, 'triage.yaml'), yaml);
    return () => rmSync(dir, { recursive: true, force: true });
  });

  const plannerOn = async (model: string): Promise<Planner> => {
    const config = parseConfig({
      env: { OPENAI_API_KEY: 'sk-test-0123456789abcdef', OPENAI_BASE_URL: server.url, OPENAI_MODEL: model },
    });
    const redactor = createRedactor({ secrets: config.secrets });
    const logger = createLogger({ level: 'warn', redactor, destination: createLogCapture().stream });
    return plannerFor({ config, redactor, logger });
  };

  const recordEval = async (planner: Planner) => {
    server.reset(rollback);
    const lines: string[] = [];
    const code = await evalRunCommand({
      dir: join(dir, 'evals'),
      chartersDir: dir,
      planner,
      redactor: createRedactor(),
      recorder: { db: services.db, audit: services.audit, clock: services.clock, actor: OWNER },
      now: () => 0,
      out: { write: (s) => void lines.push(s) },
    });
    services.clock.advance(60_000);
    return { code, text: lines.join('') };
  };

  const modeCapOfRun = async (planner: Planner) => {
    server.reset(rollback);
    const started = await runnerFor(services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    await started.done;
    const events = await runAuditEvents(services.db, started.run.id);
    return { cap: (await runRow(started.run.id)).modeCap, actions: events.map((e) => e.action) };
  };

  it('lifts the cap for the model the eval passed on, and caps the next model until its own eval passes', async () => {
    const modelA = await plannerOn('model-a');
    expect(await modeCapOfRun(modelA)).toMatchObject({ cap: CAPPED_IN_PRODUCTION });

    const evaluated = await recordEval(modelA);
    expect(evaluated.code, evaluated.text).toBe(0);
    expect(evaluated.text).toContain('✓ recorded triage/production: 1/1 agreement');
    // The fingerprint the eval recorded is the one the runner computes for its runs.
    expect(await modeCapOfRun(modelA)).toMatchObject({ cap: null });

    const modelB = await plannerOn('model-b');
    const onB = await modeCapOfRun(modelB);
    expect(onB.cap).toBe(CAPPED_IN_PRODUCTION);
    expect(onB.actions).toEqual(expect.arrayContaining(['agent.versions_changed', 'run.mode_capped']));

    expect((await recordEval(modelB)).code).toBe(0);
    expect(await modeCapOfRun(modelB)).toMatchObject({ cap: null });
  });
});
