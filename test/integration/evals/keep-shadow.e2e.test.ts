import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { evalCases } from '../../../src/evals/eval-cases.table.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';
import {
  blockText,
  buttonsOf,
  people,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

/** The shipped triage charter with production in shadow mode. */
function shadowTriageCharter() {
  const text = readFileSync(`${repoRoot}/charters/triage.yaml`, 'utf8').replace(
    'mode: human_in_the_loop',
    'mode: shadow',
  );
  return charterFromYaml(text, 'triage-shadow.yaml');
}

describe.each(databaseKinds)('eval cases kept from shadow feedback (%s)', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  const channel = people.incidents;

  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({
      database,
      instanceId: 'evals-shadow',
      charters: [shadowTriageCharter()],
    }));
  });
  afterEach(() => stopSlack({ emulator, warden }));

  it('keeps a shadow proposal once someone answered Disagree, with that verdict', async () => {
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    const card = await waitFor(
      () =>
        emulator
          .messages(channel)
          .find((m) => buttonsOf(m).includes('Agree') && m.text.includes('rollback_deploy')),
      { what: 'the shadow rollback card', timeoutMs: 30_000 },
    );
    expect(blockText(card)).toContain('Keep as eval case');
    const click = (user: string, actionId: string) =>
      emulator.clickButton({ user, channel, messageTs: card.ts, actionId });

    // Nobody answered yet: there is no verdict to keep.
    await click(people.approvers[0], 'proposal.keep');
    await waitFor(
      () => emulator.ephemerals(people.approvers[0]).find((e) => /no human verdict/.test(e.text)),
      {
        what: 'the refusal',
      },
    );
    await click(people.approvers[0], 'proposal.disagree');
    await waitFor(() => emulator.ephemerals(people.approvers[0]).find((e) => /disagree/.test(e.text)), {
      what: 'the feedback receipt',
    });
    await click(people.approvers[0], 'proposal.keep');
    await waitFor(() => emulator.ephemerals(people.approvers[0]).find((e) => /Kept prp_/.test(e.text)), {
      what: 'the keep receipt',
    });
    const [row] = await warden.services.db.select().from(evalCases);
    expect(row?.case).toMatchObject({
      agent: 'triage',
      environment: 'production',
      proposal: { tool: 'rollback_deploy' },
      verdict: { kind: 'disagree', by: [people.approvers[0]] },
    });
  });
});
