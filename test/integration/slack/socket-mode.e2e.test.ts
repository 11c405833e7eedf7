import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { approvals, auditEvents, proposals, runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import {
  APP_TOKEN,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const channel = people.incidents;

/**
 * Socket Mode through a real WebSocket: Warden's Bolt app opens its connection with apps.connections.open
 * at the emulator, which sends commands and clicks as envelopes. Slack may deliver one request again (in a
 * new envelope, or over another connection); the claim in Postgres makes the second delivery do nothing.
 */
describe.each(databaseKinds)('Slack over Socket Mode on %s', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  const instances: WardenInstance[] = [];

  async function start({ count }: { count: number }) {
    const started = await startEmulator({ appToken: APP_TOKEN });
    emulator = started.emulator;
    for (let i = 0; i < count; i += 1) {
      instances.push(
        await startWarden({
          database: i === 0 ? database : database.connectAnother(),
          emulator,
          apiUrl: started.apiUrl,
          instanceId: `socket-${kind}-${i}`,
          appToken: APP_TOKEN,
        }),
      );
    }
    await waitFor(() => emulator.socketMode.connectionCount() === count, { what: 'the connections' });
  }
  afterEach(async () => {
    for (const instance of instances.splice(0)) await stopWarden(instance);
    await emulator.stop();
  });

  const runsOn = (incidentId: string) =>
    instances[0]!.services.db.select().from(runs).where(eq(runs.incidentId, incidentId));
  const duplicatesIgnored = (kind: 'slash command' | 'click') =>
    instances.reduce((n, w) => n + w.services.logs.text().split(`duplicate ${kind} ignored`).length - 1, 0);

  it('acks a command at once and answers it privately through its response_url', async () => {
    await start({ count: 1 });
    const delivered = await emulator.socketMode.sendCommand({ user: people.oncall, channel, text: 'status' });
    expect(delivered.ackMs).toBeLessThan(3_000);
    expect(delivered.envelope.type).toBe('slash_commands');
    const answer = await waitFor(() => emulator.responseUrlPosts()[0], { what: 'the status answer' });
    expect(JSON.stringify(answer.body)).toContain('Warden status');
    expect(answer.body).toMatchObject({ response_type: 'ephemeral' });
  });

  it('starts one run when Slack delivers a command again in a new envelope', async () => {
    await start({ count: 1 });
    const first = await emulator.socketMode.sendCommand({
      user: people.oncall,
      channel,
      text: 'triage INC-124',
    });
    const again = await emulator.socketMode.redeliver(first.envelope, { retryAttempt: 1 });
    expect(again.envelope.envelope_id).not.toBe(first.envelope.envelope_id);
    await waitFor(async () => (await runsOn('INC-124')).length > 0, { what: 'the run' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await runsOn('INC-124')).toHaveLength(1);
    expect(duplicatesIgnored('slash command')).toBe(1);
  });

  it.skipIf(kind !== 'postgres')(
    'counts one click and starts one run when the two deliveries reach two instances on their own connections',
    async () => {
      await start({ count: 2 });
      // The emulator spreads deliveries over the connections in turn: first one instance, then the other.
      const command = await emulator.socketMode.sendCommand({
        user: people.oncall,
        channel,
        text: 'triage INC-124',
      });
      await emulator.socketMode.redeliver(command.envelope);
      const run = await waitFor(async () => (await runsOn('INC-124'))[0], { what: 'the run' });
      const db = instances[0]!.services.db;
      const card = await waitFor(
        async () => {
          const [row] = await db
            .select()
            .from(proposals)
            .where(and(eq(proposals.runId, run.id), eq(proposals.tool, 'restart_service')));
          return row?.slackTs && row.slackTs !== 'posting' ? row : undefined;
        },
        { what: 'the restart card', timeoutMs: 20_000 },
      );
      const click = await emulator.socketMode.clickButton({
        user: people.approvers[0],
        channel,
        messageTs: card.slackTs!,
        actionId: 'proposal.approve',
      });
      await emulator.socketMode.redeliver(click.envelope);
      await waitFor(
        async () =>
          (await db.select().from(proposals).where(eq(proposals.id, card.id)))[0]?.state === 'succeeded',
        { what: 'the restart to run' },
      );
      await waitFor(() => duplicatesIgnored('click') === 1 && duplicatesIgnored('slash command') === 1, {
        what: 'both redeliveries ignored',
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(await runsOn('INC-124')).toHaveLength(1);
      const trail = await db.select().from(auditEvents).where(eq(auditEvents.proposalId, card.id));
      const count = (action: string) => trail.filter((e) => e.action === action).length;
      expect([count('approval.recorded'), count('approval.refused'), count('execution.started')]).toEqual([
        1, 0, 1,
      ]);
      expect(await db.select().from(approvals).where(eq(approvals.proposalId, card.id))).toHaveLength(1);
      // The emulator hands consecutive deliveries to the two connections in turn, so each redelivery reached
      // the other instance than its original (which instance took which depends on who connected first).
      expect(emulator.socketMode.connectionCount()).toBe(2);
      const ignoredBy = instances.filter((w) =>
        /duplicate (slash command|click) ignored/.test(w.services.logs.text()),
      );
      expect(ignoredBy.length).toBeGreaterThanOrEqual(1);
    },
  );
});
