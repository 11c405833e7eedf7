import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { useTestDatabase } from '../../helpers/database.ts';
import {
  buttonsOf,
  people,
  proposalOfCard,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

// A card Slack lost (deleted by someone, or gone with a restart of the workspace) is posted again when
// the sync next updates it, instead of failing its update forever.
describe('Slack: a proposal card that is gone is posted again', () => {
  const database = useTestDatabase('pglite');
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({ database, instanceId: 'slack-repost' }));
  });
  afterEach(() => stopSlack({ emulator, warden }));

  const channel = people.incidents;
  const rollbackCards = () =>
    emulator.messages(channel).filter((m) => m.threadTs === null && m.text.includes('rollback_deploy'));

  it('re-posts the card when chat.update answers message_not_found', async () => {
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    const card = await waitFor(() => rollbackCards().find((m) => buttonsOf(m).includes('Approve')), {
      what: 'the rollback card',
      timeoutMs: 20_000,
    });
    await warden.surface.client.chat.delete({ channel, ts: card.ts });
    expect(rollbackCards()).toEqual([]);

    // The kill switch cancels the pending proposal: its card must change, and it is no longer there.
    await emulator.sendCommand({ user: people.outsider, channel, text: 'kill triage lost card' });
    const reposted = await waitFor(() => rollbackCards().find((m) => m.ts !== card.ts), {
      what: 'the card posted again',
      timeoutMs: 20_000,
    });
    expect(reposted.text).toMatch(/cancel/i);
    expect(buttonsOf(reposted)).not.toContain('Approve');
    const failedUpdate = emulator.calls('chat.update').find((c) => c.params.ts === card.ts);
    expect(failedUpdate?.error).toBe('message_not_found');
    // Recorded on the proposal, whose failed attempts start again from none.
    const row = await proposalOfCard(database.db, reposted.ts);
    expect(row).toMatchObject({ tool: 'rollback_deploy', slackCardAttempts: 0 });
  }, 60_000);
});
