import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { proposals } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { useTestDatabase } from '../../helpers/database.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';
import {
  buttonsOf,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

/** The shipped triage charter with production in shadow mode: the agent proposes, nothing runs. */
function shadowTriageCharter() {
  const text = readFileSync(`${repoRoot}/charters/triage.yaml`, 'utf8').replace(
    'mode: human_in_the_loop',
    'mode: shadow',
  );
  return charterFromYaml(text, 'triage-shadow.yaml');
}

describe('Slack: shadow mode', () => {
  const database = useTestDatabase('pglite');
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({
      database,
      emulator,
      apiUrl: started.apiUrl,
      instanceId: 'shadow-a',
      charters: [shadowTriageCharter()],
    });
    emulator.setWardenUrl(warden.url);
  });
  afterEach(async () => {
    await stopWarden(warden);
    await emulator.stop();
  });

  it('posts shadow proposals with Agree / Disagree, never runs them, and counts the feedback in the report', async () => {
    await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-123' });
    const card = await waitFor(
      () => emulator.messages(people.incidents).find((m) => buttonsOf(m).includes('Agree')),
      { what: 'a shadow card', timeoutMs: 30_000 },
    );
    expect(buttonsOf(card)).toEqual(['Agree', 'Disagree']);
    expect(buttonsOf(card)).not.toContain('Approve');
    await emulator.clickButton({
      user: people.approvers[0],
      channel: people.incidents,
      messageTs: card.ts,
      actionId: 'proposal.agree',
    });
    await waitFor(() => emulator.ephemerals(people.approvers[0]).length > 0, {
      what: 'the feedback receipt',
    });
    const rows = await warden.services.db.select().from(proposals);
    expect(
      rows
        .filter((p) => p.source === 'planner')
        .every((p) => p.state === 'blocked' && p.reasonCode === 'mode_shadow'),
    ).toBe(true);
    await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text: 'report triage' });
    const report = await waitFor(
      () => emulator.responseUrlPosts().find((p) => /agree/i.test(JSON.stringify(p))),
      { what: 'the report' },
    );
    expect(JSON.stringify(report)).toMatch(/100 ?%/);
  });
});
