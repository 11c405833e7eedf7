import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvals } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { BUSY_CLICK_TEXT, BUSY_COMMAND_TEXT } from '../../../src/slack/admission-answer.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { holdHelpCommandsAtTheBound, incidentRecords } from '../../helpers/shedding.ts';
import {
  buttonsOf,
  people,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const channel = people.incidents;
/** The bound this Warden is configured with (`WARDEN_SLACK_MAX_IN_FLIGHT`; the default is 64). */
const BOUND = 4;

/**
 * A whole Warden (real receiver with its bound from the environment, Bolt, listeners, database) made busy
 * deterministically: a Bolt middleware holds `/agent help` commands before their listener acks, so the
 * requests in flight sit at the bound for as long as the test wants. What comes next must be refused at
 * once, start nothing, and be admitted again once the held requests go.
 */
describe.each(databaseKinds)('Slack: shedding load on %s', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let releaseHeld: () => void = () => {};

  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({
      database,
      instanceId: 'shed-a',
      env: { WARDEN_SLACK_MAX_IN_FLIGHT: String(BOUND) },
    }));
  });
  afterEach(async () => {
    releaseHeld();
    await stopSlack({ emulator, warden });
  });

  /** Holds `/agent help` commands before their listeners until the bound is taken. */
  async function fillToTheBound() {
    const holding = await holdHelpCommandsAtTheBound({
      warden,
      bound: BOUND,
      send: () => emulator.sendCommand({ user: people.oncall, channel, text: 'help' }),
    });
    releaseHeld = holding.release;
    return holding.held;
  }

  const runsFor = (incident: string) => incidentRecords(warden).runsFor(incident);
  const auditFor = (incident: string) => incidentRecords(warden).auditFor(incident);

  it('refuses a command and a click as busy with a 200, starts nothing, and admits them once the load is gone', async () => {
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    const card = await waitFor(
      () =>
        emulator
          .messages(channel)
          .find((m) => m.threadTs === null && m.text.includes('rollback_deploy') && buttonsOf(m).length > 0),
      { what: 'the rollback approval card', timeoutMs: 20_000 },
    );
    const held = await fillToTheBound();

    const command = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-777' });
    expect(command.status).toBe(200);
    expect(JSON.parse(command.body)).toEqual({ response_type: 'ephemeral', text: BUSY_COMMAND_TEXT });

    const click = await emulator.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    // A 200 is what stops Slack showing an error for the click; the person is told privately instead.
    expect(click).toMatchObject({ status: 200, body: '' });
    await waitFor(() => emulator.ephemerals(people.approvers[0]).find((e) => e.text === BUSY_CLICK_TEXT), {
      what: 'the busy notice for the click',
    });

    releaseHeld();
    expect((await Promise.all(held)).every((r) => r.status === 200)).toBe(true);
    await waitFor(
      async () => {
        const status = await emulator.sendCommand({ user: people.oncall, channel, text: 'status' });
        return status.status === 200 && !status.body.includes('busy');
      },
      { what: 'a command admitted again', timeoutMs: 30_000 },
    );
    // Nothing the refused requests asked for happened, then or later.
    expect(await runsFor('INC-777')).toHaveLength(0);
    expect(await auditFor('INC-777')).toHaveLength(0);
    expect(await warden.services.db.select().from(approvals)).toHaveLength(0);

    // Sent again, both are taken.
    const again = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-777' });
    expect(again.body).not.toContain('busy');
    await waitFor(async () => (await runsFor('INC-777')).length === 1, { what: 'the run for INC-777' });
    await emulator.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    await waitFor(async () => (await warden.services.db.select().from(approvals)).length === 1, {
      what: 'the approval recorded',
    });
  });
});
