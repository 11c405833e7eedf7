import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approvals, auditEvents, proposals, runs, sandboxTickets } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import {
  createTestDatabase,
  databaseKinds,
  type TestDatabase,
  useTestDatabase,
} from '../../helpers/database.ts';
import {
  buttonsOf,
  people,
  startEmulator,
  startSlack,
  startWarden,
  stopSlack,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const channel = people.incidents;

describe.each(databaseKinds)('Slack request checks on %s', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({ database, instanceId: 'req-a' }));
  });
  afterEach(() => stopSlack({ emulator, warden }));

  const runCount = async () => (await warden.services.db.select().from(runs)).length;

  it('answers 401 to a bad signature, a stale timestamp and a timestamp from the future, and changes nothing', async () => {
    const badSignature = await emulator.sendCommand({
      user: people.oncall,
      channel,
      text: 'triage INC-123',
      signingSecretOverride: 'not-the-secret',
    });
    const stale = await emulator.sendCommand({
      user: people.oncall,
      channel,
      text: 'triage INC-123',
      timestampOffsetSeconds: -330,
    });
    const ahead = await emulator.sendCommand({
      user: people.oncall,
      channel,
      text: 'triage INC-123',
      timestampOffsetSeconds: 330,
    });
    expect([badSignature.status, stale.status, ahead.status]).toEqual([401, 401, 401]);
    const fine = await emulator.sendCommand({
      user: people.oncall,
      channel,
      text: 'status',
      timestampOffsetSeconds: 270,
    });
    expect(fine.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await runCount()).toBe(0);
    expect(await warden.services.db.select().from(auditEvents)).toHaveLength(0);
  });

  it('starts one run for a command however often Slack retries it or someone replays it', async () => {
    const first = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-124' });
    expect(first.status).toBe(200);
    const retried = await emulator.retry(first.request, { retryNum: 1, retryReason: 'http_timeout' });
    const replayed = await emulator.replay(first.request);
    expect([retried.status, replayed.status]).toEqual([200, 200]);
    await waitFor(async () => (await runCount()) >= 1, { what: 'the run' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await runCount()).toBe(1);
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))(
  'Slack clicks across two Warden instances on one Postgres',
  () => {
    let database: TestDatabase;
    let emulator: SlackEmulator;
    let a: WardenInstance;
    let b: WardenInstance;

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      const started = await startEmulator();
      emulator = started.emulator;
      a = await startWarden({ database, emulator, apiUrl: started.apiUrl, instanceId: 'click-a' });
      b = await startWarden({
        database: database.connectAnother(),
        emulator,
        apiUrl: started.apiUrl,
        instanceId: 'click-b',
      });
      emulator.setWardenUrl(a.url);
    });
    afterAll(async () => {
      await stopWarden(a);
      await stopWarden(b);
      await emulator.stop();
      await database.drop();
    });

    /**
     * Duplicates ignored by both instances together. Which one ignores which is a race: A claims a request
     * right after acking it, so a retry that reaches B first may be claimed by B, and then A ignores its own.
     */
    const duplicatesIgnored = (kind: 'slash command' | 'click') =>
      [a, b].reduce(
        (n, instance) => n + instance.services.logs.text().split(`duplicate ${kind} ignored`).length - 1,
        0,
      );
    const runsOn = async (incidentId: string) =>
      a.services.db.select().from(runs).where(eq(runs.incidentId, incidentId));

    it('starts one run when a command reaches instance A and its retry and a byte-identical replay reach instance B', async () => {
      emulator.setWardenUrl(a.url);
      const before = (await runsOn('INC-124')).length;
      const ignoredBefore = duplicatesIgnored('slash command');
      const first = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-124' });
      expect(first.status).toBe(200);
      emulator.setWardenUrl(b.url);
      const retried = await emulator.retry(first.request, { retryNum: 1, retryReason: 'http_timeout' });
      // The same bytes and headers (timestamp and signature too), delivered to the other instance.
      const replayed = await emulator.replay({ ...first.request, url: `${b.url}/slack/events` });
      expect([retried.status, replayed.status]).toEqual([200, 200]);
      await waitFor(async () => (await runsOn('INC-124')).length > before, { what: 'the run' });
      await new Promise((r) => setTimeout(r, 500));
      expect((await runsOn('INC-124')).length).toBe(before + 1);
      // Of the three deliveries, two were found already claimed in Postgres: said so, started nothing.
      await waitFor(() => duplicatesIgnored('slash command') - ignoredBefore === 2, {
        what: 'the instances to ignore two of the three deliveries',
      });
      emulator.setWardenUrl(a.url);
    });

    it('counts a click once when it reaches instance A and its retry and a byte-identical replay reach instance B', async () => {
      emulator.setWardenUrl(a.url);
      const known = new Set((await runsOn('INC-124')).map((r) => r.id));
      await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-124' });
      const run = await waitFor(async () => (await runsOn('INC-124')).find((r) => !known.has(r.id)), {
        what: 'the run',
      });
      // The staging restart waits for one approver; its card is the one clicked.
      const proposal = await waitFor(
        async () => {
          const [row] = await a.services.db
            .select()
            .from(proposals)
            .where(and(eq(proposals.runId, run.id), eq(proposals.tool, 'restart_service')));
          return row?.slackTs && row.slackTs !== 'posting' ? row : undefined;
        },
        { what: 'the restart card', timeoutMs: 20_000 },
      );
      const ignoredBefore = duplicatesIgnored('click');
      const click = await emulator.clickButton({
        user: people.approvers[0],
        channel,
        messageTs: proposal.slackTs!,
        actionId: 'proposal.approve',
      });
      expect(click.status).toBe(200);
      emulator.setWardenUrl(b.url);
      const retried = await emulator.retry(click.request, { retryNum: 1, retryReason: 'http_timeout' });
      const replayed = await emulator.replay({ ...click.request, url: `${b.url}/slack/events` });
      expect([retried.status, replayed.status]).toEqual([200, 200]);
      const ran = await waitFor(
        async () => {
          const [row] = await a.services.db.select().from(proposals).where(eq(proposals.id, proposal.id));
          return row?.state === 'succeeded' ? row : undefined;
        },
        { what: 'the restart to run' },
      );
      expect(ran.state).toBe('succeeded');
      await new Promise((r) => setTimeout(r, 500));
      // One approval, one execution, and no refusal: the duplicates never reached the approvals use case.
      const trail = await a.services.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.proposalId, proposal.id));
      const count = (action: string) => trail.filter((e) => e.action === action).length;
      expect([count('approval.recorded'), count('approval.refused'), count('execution.started')]).toEqual([
        1, 0, 1,
      ]);
      expect(
        await a.services.db.select().from(approvals).where(eq(approvals.proposalId, proposal.id)),
      ).toHaveLength(1);
      expect(duplicatesIgnored('click') - ignoredBefore).toBe(2);
      emulator.setWardenUrl(a.url);
    });

    it('executes once when 20 Approve clicks arrive at two instances at the same time', async () => {
      await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
      const card = await waitFor(
        () =>
          emulator
            .messages(channel)
            .find((m) => m.text.includes('create_ticket') && buttonsOf(m).includes('Approve')),
        { what: 'the ticket approval card', timeoutMs: 20_000 },
      );
      const clicks: Promise<{ status: number }>[] = [];
      for (let i = 0; i < 20; i++) {
        emulator.setWardenUrl(i % 2 === 0 ? a.url : b.url);
        clicks.push(
          emulator.clickButton({
            user: i % 3 === 0 ? people.approvers[0] : people.approvers[1],
            channel,
            messageTs: card.ts,
            actionId: 'proposal.approve',
            retryNum: i % 4 === 3 ? 1 : undefined,
          }),
        );
      }
      const statuses = (await Promise.all(clicks)).map((r) => r.status);
      expect(statuses.every((s) => s === 200)).toBe(true);
      // Staging tickets from the other tests run without approval; the production one is this card's.
      const productionTickets = () =>
        a.services.db.select().from(sandboxTickets).where(eq(sandboxTickets.environment, 'production'));
      const ticketProposal = async () =>
        (
          await a.services.db
            .select()
            .from(proposals)
            .where(and(eq(proposals.tool, 'create_ticket'), eq(proposals.environment, 'production')))
        )[0];
      // The outcome is recorded after the tool ran; on a loaded machine that can take a while.
      await waitFor(async () => (await ticketProposal())?.state === 'succeeded', {
        what: 'the ticket proposal to succeed',
        timeoutMs: 30_000,
      });
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await productionTickets()).toHaveLength(1);
      const started = await a.services.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.action, 'execution.started'));
      const proposal = await ticketProposal();
      expect(started.filter((e) => e.proposalId === proposal!.id)).toHaveLength(1);
      expect(proposal!.state).toBe('succeeded');
    });
  },
);
