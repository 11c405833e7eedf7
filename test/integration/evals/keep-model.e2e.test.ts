import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { readCaseDir } from '../../../src/evals/case.files.ts';
import { evalExportCommand, evalRunCommand } from '../../../src/evals/eval.cli.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import {
  createScriptedOpenAIServer,
  type ScriptedOpenAIServer,
  type ScriptStep,
} from '../../helpers/openai-server.ts';
import { repoRoot } from '../../helpers/services.ts';
import {
  blockText,
  buttonsOf,
  people,
  proposalOfCard,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

/** The model the scripted OpenAI-compatible server answers as (recorded in each kept case). */
const MODEL = 'scripted-model';

/** The model reads the incident, the service's health and deploys, then proposes a restart of `service`. */
function restartScript({
  incident,
  service,
  environment,
}: {
  incident: string;
  service: string;
  environment: string;
}): ScriptStep[] {
  return [
    {
      toolCalls: [
        { name: 'get_incident', arguments: { incident_id: incident } },
        { name: 'get_service_health', arguments: { service } },
        { name: 'get_recent_deploys', arguments: { service, limit: 5 } },
      ],
    },
    {
      toolCalls: [
        {
          name: 'submit_proposals',
          arguments: {
            summary: `${service} pods are crash-looping in ${environment}.`,
            proposals: [
              {
                tool: 'restart_service',
                environment,
                args: { service },
                rationale: `Pods of ${service} are in CrashLoopBackOff.`,
                expected_effect: 'The pods come back and the alert clears.',
                rollback: 'Nothing to undo: a rolling restart.',
              },
            ],
          },
        },
      ],
    },
  ];
}

function capture() {
  const lines: string[] = [];
  return { out: { write: (s: string) => void lines.push(s) }, text: () => lines.join('') };
}

// Run with WARDEN_WRITE_EVAL_CASES=1 to (re)ship the exported cases in evals/triage/ (then review them
// and `npx warden eval --accept`); otherwise they go to a temporary folder only.
const SHIP = process.env.WARDEN_WRITE_EVAL_CASES === '1';

describe.each(databaseKinds)('eval cases kept from runs the model planned (%s)', (kind) => {
  const database = useTestDatabase(kind);
  let model: ScriptedOpenAIServer;
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let dir: string;
  const channel = people.incidents;

  beforeAll(async () => {
    model = await createScriptedOpenAIServer({ model: MODEL });
  });
  afterAll(() => model.close());
  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({
      database,
      instanceId: 'evals-model',
      env: {
        OPENAI_API_KEY: 'sk-test-not-a-real-key-000000',
        OPENAI_BASE_URL: model.url,
        OPENAI_MODEL: MODEL,
      },
    }));
    dir = mkdtempSync(join(tmpdir(), 'warden-evals-model-'));
  });
  afterEach(async () => {
    await stopSlack({ emulator, warden });
    rmSync(dir, { recursive: true, force: true });
  });

  const cardFor = (tool: string, after: number) =>
    emulator
      .messages(channel)
      .slice(after)
      .find((m) => m.threadTs === null && m.text.includes(tool) && buttonsOf(m).length > 0);
  const proposalAt = (ts: string) => proposalOfCard(warden.services.db, ts);
  const click = (user: string, ts: string, actionId: string) =>
    emulator.clickButton({ user, channel, messageTs: ts, actionId });

  it('keeps an approved and a rejected model proposal, exports them with the planner, replays them offline', async () => {
    expect(warden.services.planner.name).toBe('openai');

    // INC-124: the model proposes restarting search in staging; an SRE approves, on call keeps it.
    model.reset(restartScript({ incident: 'INC-124', service: 'search', environment: 'staging' }));
    let seen = emulator.messages(channel).length;
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-124' });
    const restartSearch = await waitFor(() => cardFor('restart_service', seen), {
      what: 'the staging restart card',
      timeoutMs: 30_000,
    });
    await click(people.approvers[0], restartSearch.ts, 'proposal.approve');
    await waitFor(async () => (await proposalAt(restartSearch.ts)).state === 'succeeded', {
      what: 'the staging restart',
      timeoutMs: 20_000,
    });
    const approved = await proposalAt(restartSearch.ts);
    await emulator.sendCommand({ user: people.oncall, channel, text: `keep ${approved.id}` });
    await waitFor(
      () => emulator.responseUrlPosts().find((p) => JSON.stringify(p).includes(`Kept ${approved.id}`)),
      {
        what: 'the keep answer',
      },
    );

    // INC-123: the model proposes restarting checkout in production; an SRE rejects it (a bad release, not
    // a transient crash) and keeps the rejection with the card's button.
    model.reset(restartScript({ incident: 'INC-123', service: 'checkout', environment: 'production' }));
    seen = emulator.messages(channel).length;
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    const restartCheckout = await waitFor(() => cardFor('restart_service', seen), {
      what: 'the production restart card',
      timeoutMs: 30_000,
    });
    await click(people.approvers[0], restartCheckout.ts, 'proposal.reject');
    await waitFor(() => emulator.views(people.approvers[0]).length > 0, { what: 'the reason modal' });
    await emulator.submitView({
      user: people.approvers[0],
      values: {
        reason: {
          reason: 'v2.14.0 is a bad release: a restart brings the same pods back. Roll back instead.',
        },
      },
    });
    await waitFor(
      () => {
        const m = emulator.messages(channel).find((x) => x.ts === restartCheckout.ts);
        return m?.edited && /rejected/i.test(blockText(m)) ? m : undefined;
      },
      { what: 'the rejected card' },
    );
    await click(people.approvers[0], restartCheckout.ts, 'proposal.keep');
    await waitFor(() => emulator.ephemerals(people.approvers[0]).find((e) => /Kept prp_/.test(e.text)), {
      what: 'the keep receipt',
    });
    const rejected = await proposalAt(restartCheckout.ts);

    // Exported like any kept case, with the planner and model the run had.
    const exported = capture();
    expect(await evalExportCommand({ db: warden.services.db, dir, out: exported.out })).toBe(0);
    const read = readCaseDir({ dir });
    expect(read.problems).toEqual([]);
    const byId = new Map(read.cases.map((c) => [c.evalCase.id, c.evalCase]));
    expect(byId.get(approved.id)).toMatchObject({
      environment: 'staging',
      incident: 'INC-124',
      source: 'kept',
      versions: { planner: 'openai', model: MODEL },
      proposal: { tool: 'restart_service', environment: 'staging', args: { service: 'search' } },
      verdict: { kind: 'approved', by: [people.approvers[0]] },
    });
    expect(byId.get(rejected.id)).toMatchObject({
      environment: 'production',
      versions: { planner: 'openai', model: MODEL },
      proposal: { tool: 'restart_service', args: { service: 'checkout' } },
      verdict: { kind: 'rejected', by: [people.approvers[0]] },
    });

    // Offline, as CI runs it: the rules restart the crash-looping search pods (agreement) and roll checkout
    // back instead of restarting it (agreement with the rejection); the same report on every run.
    const replay = async () => {
      const report = capture();
      const code = await evalRunCommand({
        dir,
        chartersDir: join(repoRoot, 'charters'),
        planner: createOfflinePlanner(),
        redactor: createRedactor(),
        now: () => 0,
        out: report.out,
      });
      return { code, text: report.text() };
    };
    const first = await replay();
    expect(first.code, first.text).toBe(0);
    expect(first.text).toMatch(new RegExp(`✓ ${approved.id} \\(approved\\): agree`));
    expect(first.text).toMatch(new RegExp(`✓ ${rejected.id} \\(rejected\\): agree`));
    // Each says where it came from: the replay is the offline rules', the case the model's.
    expect(first.text).toContain(
      `${rejected.id} (rejected): agree, did not propose restart_service in production, as people rejected it [kept from openai ${MODEL}]`,
    );
    expect((await replay()).text).toBe(first.text);

    if (SHIP && kind === 'pglite')
      for (const file of readdirSync(join(dir, 'triage')))
        copyFileSync(join(dir, 'triage', file), join(repoRoot, 'evals', 'triage', file));
  });
});
