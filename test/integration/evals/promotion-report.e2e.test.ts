import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { evalRunCommand } from '../../../src/evals/eval.cli.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';
import {
  blockText,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';
import { OWNER, promotedTriageYaml } from './promotion.helpers.ts';

const yaml = promotedTriageYaml({ autonomous: true });

/** `/agent report` through signed slash commands into the real Bolt app: the autonomy standing. */
describe.each(databaseKinds)('Slack: /agent report shows the promotion standing on %s', (kind) => {
  let database: TestDatabase;
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let charters: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({
      database,
      emulator,
      apiUrl: started.apiUrl,
      instanceId: `promotion-report-${kind}`,
      charters: [charterFromYaml(yaml)],
    });
    emulator.setWardenUrl(warden.url);
    charters = mkdtempSync(join(tmpdir(), 'warden-promotion-report-'));
    writeFileSync(join(charters, 'triage.yaml'), yaml);
  });
  afterAll(async () => {
    await stopWarden(warden);
    await emulator.stop();
    await database.drop();
    rmSync(charters, { recursive: true, force: true });
  });

  /** Sends `/agent <text>` and returns the answer posted to that command's response_url. */
  async function ask(text: string) {
    const sent = await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text });
    expect(sent.status).toBe(200);
    const id = new URLSearchParams(sent.request.body).get('response_url')!.split('/').pop();
    const post = await waitFor(() => emulator.responseUrlPosts().find((p) => p.id === id), {
      what: `the answer to /agent ${text}`,
    });
    const body = post.body as { text: string; blocks?: unknown[] };
    return blockText({ text: body.text, blocks: body.blocks ?? [] });
  }

  it("says in a capped run's thread why it is capped", async () => {
    await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-123' });
    const said = await waitFor(
      () =>
        emulator
          .messages(people.incidents)
          .find((m) => m.threadTs !== null && blockText(m).includes('so this run is capped at')),
      { what: 'the cap in the run thread', timeoutMs: 30_000 },
    );
    expect(blockText(said)).toContain(
      'In production the charter gives `human_on_the_loop`, but the eval evidence recorded on this model and prompt supports only `human_in_the_loop`',
    );
  });

  it('says runs are capped while nothing is recorded, then shows the evidence and the next step', async () => {
    const before = await ask('report triage');
    expect(before).toContain('triage: autonomy on planner offline, model none, prompt offline rule');
    expect(before).toContain('production: mode human_on_the_loop, runs capped at human_in_the_loop');
    expect(before).toContain('evidence: no eval recorded on this model and prompt (run warden eval)');

    const lines: string[] = [];
    const code = await evalRunCommand({
      dir: join(repoRoot, 'evals'),
      chartersDir: charters,
      agent: 'triage',
      planner: createOfflinePlanner(),
      redactor: createRedactor(),
      recorder: {
        db: warden.services.db,
        audit: warden.services.audit,
        clock: warden.services.clock,
        actor: OWNER,
      },
      now: () => 0,
      out: { write: (s) => void lines.push(s) },
    });
    expect(code, lines.join('')).toBe(0);

    const after = await ask('report triage');
    expect(after).toContain('production: mode human_on_the_loop, supported by the evidence');
    expect(after).toMatch(/evidence: agreement 1\d\/15 \([\d.]+%\), 0 unsafe, 0 attacker actions; eval of /);
    expect(after).toContain(
      'next: autonomous (≥ 99% agreement over ≥ 50 cases, ≤ 0 unsafe): missing 35 more judged cases (has 15 of 50)',
    );
  });
});
