import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvals } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { BUSY_CLICK_TEXT, BUSY_COMMAND_TEXT } from '../../../src/slack/admission-answer.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { holdHelpCommandsAtTheBound, incidentRecords } from '../../helpers/shedding.ts';
import {
  APP_TOKEN,
  buttonsOf,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const channel = people.incidents;
/** The bound this Warden is configured with (`WARDEN_SLACK_MAX_IN_FLIGHT`; the default is 64). */
const BOUND = 4;

/**
 * The Socket Mode twin of `admission.e2e.test.ts`: a whole Warden (Bolt's Socket Mode receiver over a real
 * WebSocket to the emulator, its bound from the environment, listeners, database) made busy
 * deterministically: a Bolt middleware holds `/agent help` commands before their listener acks, so the
 * envelopes in flight sit at the bound for as long as the test wants. What comes next must be acked at
 * once with the busy answer, start nothing, and be taken again once the held envelopes go.
 */
describe.each(databaseKinds)('Slack over Socket Mode: shedding load on %s', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let releaseHeld: () => void = () => {};

  beforeEach(async () => {
    const started = await startEmulator({ appToken: APP_TOKEN });
    emulator = started.emulator;
    warden = await startWarden({
      database,
      emulator,
      apiUrl: started.apiUrl,
      instanceId: `socket-shed-${kind}`,
      appToken: APP_TOKEN,
      env: { WARDEN_SLACK_MAX_IN_FLIGHT: String(BOUND) },
    });
    await waitFor(() => emulator.socketMode.connectionCount() === 1, {
      what: 'the Socket Mode connection',
      timeoutMs: 30_000,
    });
  });
  afterEach(async () => {
    releaseHeld();
    await stopWarden(warden);
    await emulator.stop();
  });

  /** Holds `/agent help` commands before their listeners until the bound is taken. */
  async function fillToTheBound() {
    // The emulator stops waiting for an ack after 3 s, as Slack does; the listeners stay held all the same.
    const holding = await holdHelpCommandsAtTheBound({
      warden,
      bound: BOUND,
      send: () =>
        emulator.socketMode
          .sendCommand({ user: people.oncall, channel, text: 'help' })
          .catch((error: unknown) => error),
    });
    releaseHeld = holding.release;
    return holding.held;
  }

  const runsFor = (incident: string) => incidentRecords(warden).runsFor(incident);
  const auditFor = (incident: string) => incidentRecords(warden).auditFor(incident);

  it('acks a command and a click as busy at once, starts nothing, and takes them once the load is gone', async () => {
    await emulator.socketMode.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    const card = await waitFor(
      () =>
        emulator
          .messages(channel)
          .find((m) => m.threadTs === null && m.text.includes('rollback_deploy') && buttonsOf(m).length > 0),
      { what: 'the rollback approval card', timeoutMs: 45_000 },
    );
    const held = await fillToTheBound();

    const command = await emulator.socketMode.sendCommand({
      user: people.oncall,
      channel,
      text: 'triage INC-777',
    });
    // The busy text is the ack's payload: Slack shows it to the person alone.
    expect(command.ack).toEqual({ response_type: 'ephemeral', text: BUSY_COMMAND_TEXT });

    const click = await emulator.socketMode.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    // Slack shows nothing from a click's ack, so it is empty and the person is told privately instead.
    expect(click.ack).toEqual({});
    await waitFor(() => emulator.ephemerals(people.approvers[0]).find((e) => e.text === BUSY_CLICK_TEXT), {
      what: 'the busy notice for the click',
      timeoutMs: 20_000,
    });
    const logs = warden.services.logs.text();
    expect(logs).toContain('"reason":"slack.shed_in_flight"');
    expect(logs).toContain('"what":"block_actions proposal.approve"');

    releaseHeld();
    await Promise.all(held);
    await waitFor(
      async () => {
        const status = await emulator.socketMode.sendCommand({
          user: people.oncall,
          channel,
          text: 'status',
        });
        return !JSON.stringify(status.ack).includes('busy');
      },
      { what: 'a command taken again', timeoutMs: 30_000 },
    );
    // Nothing the refused envelopes asked for happened, then or later.
    expect(await runsFor('INC-777')).toHaveLength(0);
    expect(await auditFor('INC-777')).toHaveLength(0);
    expect(await warden.services.db.select().from(approvals)).toHaveLength(0);

    // Sent again, both are taken.
    const again = await emulator.socketMode.sendCommand({
      user: people.oncall,
      channel,
      text: 'triage INC-777',
    });
    expect(JSON.stringify(again.ack)).not.toContain('busy');
    await waitFor(async () => (await runsFor('INC-777')).length === 1, {
      what: 'the run for INC-777',
      timeoutMs: 20_000,
    });
    await emulator.socketMode.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    await waitFor(async () => (await warden.services.db.select().from(approvals)).length === 1, {
      what: 'the approval recorded',
      timeoutMs: 20_000,
    });
  });
});
