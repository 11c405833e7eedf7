import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { useTestDatabase } from '../../helpers/database.ts';
import { createScriptedOpenAIServer, type ScriptedOpenAIServer } from '../../helpers/openai-server.ts';
import {
  blockText,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

describe('Slack: the model fails during /agent triage', () => {
  const database = useTestDatabase('pglite');
  let emulator: SlackEmulator;
  let model: ScriptedOpenAIServer;
  let warden: WardenInstance;

  beforeEach(async () => {
    // The model answers 500 to every request, retries included.
    model = await createScriptedOpenAIServer({ script: Array.from({ length: 20 }, () => ({ status: 500 })) });
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({
      database,
      emulator,
      apiUrl: started.apiUrl,
      instanceId: 'model-a',
      env: {
        OPENAI_API_KEY: 'sk-test-not-a-real-key-000000',
        OPENAI_BASE_URL: model.url,
        OPENAI_MODEL: 'scripted',
      },
    });
    emulator.setWardenUrl(warden.url);
  });
  afterEach(async () => {
    await stopWarden(warden);
    await emulator.stop();
    await model.close();
  });

  it('fails the run closed and says so in the thread; nothing is proposed or run', async () => {
    expect(warden.services.planner.name).toBe('openai');
    await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-123' });
    const run = await waitFor(
      async () => {
        const [row] = await warden.services.db.select().from(runs);
        return row && row.state !== 'running' ? row : undefined;
      },
      { what: 'the run to end', timeoutMs: 60_000 },
    );
    expect(run.state).toBe('failed');
    expect(model.requests.length).toBeGreaterThan(1);
    const ending = await waitFor(
      () =>
        emulator.thread(people.incidents, run.slackThreadTs!).find((m) => /run\.finished/.test(blockText(m))),
      { what: 'the end of the run in the thread', timeoutMs: 30_000 },
    );
    expect(blockText(ending)).toMatch(/did not answer/i);
    expect(blockText(ending)).toMatch(/nothing was run/i);
    expect(emulator.messages(people.incidents).filter((m) => /Approval needed/.test(m.text))).toHaveLength(0);
  });
});
