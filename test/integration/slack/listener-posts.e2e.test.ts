import { asc, eq, inArray } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, auditMirror, runs } from '../../../src/app/schema.ts';
import { auditHead } from '../../../src/audit/audit.repository.ts';
import { readKillState } from '../../../src/breakers/kill-switch.repository.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import {
  blockText,
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

/** Lets Warden's clock reach the next retry of its outbox, and gives the worker a moment to use it. */
async function retryTime(...instances: WardenInstance[]): Promise<void> {
  for (const instance of instances) instance.services.clock.advance(30_000);
  await new Promise((r) => setTimeout(r, 150));
}

/** The outbox rows of kill switch changes, oldest first. */
async function announcementsOutbox(instance: WardenInstance) {
  return instance.services.db
    .select({
      action: auditEvents.action,
      status: auditMirror.status,
      messageTs: auditMirror.messageTs,
      permalink: auditMirror.permalink,
    })
    .from(auditMirror)
    .innerJoin(auditEvents, eq(auditEvents.seq, auditMirror.seq))
    .where(inArray(auditEvents.action, ['kill.engaged', 'kill.released']))
    .orderBy(asc(auditMirror.seq));
}

/**
 * Messages about a change Postgres already committed: the kill and resume announcements (posted by the sync
 * worker from the outbox) and the run message a thread hangs under (posted by the listener, retried). A
 * failed Slack call must not lose them (DESIGN §4.6).
 */
describe('Slack: messages posted by the listeners survive Slack failing', () => {
  const database = useTestDatabase('pglite');
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({ database, instanceId: 'posts-a' }));
  });
  afterEach(() => stopSlack({ emulator, warden }));

  const postsTo = (where: string) =>
    emulator.calls('chat.postMessage').filter((c) => c.params.channel === where);
  const answers = () => emulator.responseUrlPosts().map((p) => JSON.stringify(p.body));

  it('announces a kill once, from the outbox, although Slack refused the channel for longer than the old retry window, then the resume after it', async () => {
    emulator.failNext({ method: 'chat.postMessage', channel, error: 'internal_error', times: 10_000 });
    const sentAt = Date.now();
    await emulator.sendCommand({ user: people.outsider, channel, text: 'kill triage flaky slack drill' });
    // The person is told privately what was done and that Warden keeps trying.
    const told = await waitFor(() => answers().find((a) => /kill switch is engaged/i.test(a)), {
      what: 'the private note',
    });
    expect(told).toMatch(/keeps trying/);
    expect(told).toContain('flaky slack drill');
    expect(told).not.toMatch(/unavailable|Nothing ran/i);
    expect(await readKillState({ db: warden.services.db, agent: 'triage' })).toMatchObject({ engaged: true });
    await emulator.sendCommand({ user: people.owner, channel, text: 'resume triage' });
    // Slack keeps failing well past the ~4 s the listener used to retry for; the worker keeps trying.
    // (At least 7 s, and until it has tried more than 4 times, however slow the machine: not a rate.)
    while ((Date.now() - sentAt < 7_000 || postsTo(channel).length <= 4) && Date.now() - sentAt < 60_000)
      await retryTime(warden);
    expect(postsTo(channel).length).toBeGreaterThan(4);
    expect(emulator.messages(channel)).toEqual([]);

    emulator.clearFaults();
    const announced = await waitFor(
      async () => {
        await retryTime(warden);
        return emulator.messages(channel).length >= 2 ? emulator.messages(channel) : undefined;
      },
      { what: 'both announcements' },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(emulator.messages(channel)).toHaveLength(2);
    expect(blockText(announced[0]!)).toContain('flaky slack drill');
    expect(blockText(announced[0]!)).toContain(people.outsider);
    expect(blockText(announced[1]!)).toContain(`<@${people.owner}> resumed`);
    // The outbox holds each post with its message link.
    const outbox = await announcementsOutbox(warden);
    expect(outbox.map((o) => [o.action, o.status, o.messageTs])).toEqual([
      ['kill.engaged', 'posted', announced[0]!.ts],
      ['kill.released', 'posted', announced[1]!.ts],
    ]);
    for (const row of outbox) expect(row.permalink).toMatch(/^https:\/\//);
  });

  it('tells the person privately when Slack refuses the channel for good, and does not try again', async () => {
    emulator.failNext({ method: 'chat.postMessage', channel, error: 'not_in_channel' });
    await emulator.sendCommand({ user: people.outsider, channel, text: 'kill triage not a member' });
    const told = await waitFor(() => answers().find((a) => /kill switch is engaged/i.test(a)), {
      what: 'the private note',
    });
    expect(told).toMatch(/refused the announcement/);
    expect(told).toContain('not a member');
    for (let i = 0; i < 5; i += 1) await retryTime(warden);
    expect(postsTo(channel).map((c) => c.error)).toEqual(['not_in_channel']);
    expect((await announcementsOutbox(warden)).map((o) => o.status)).toEqual(['failed']);
  });

  it('starts the run under its message although Slack failed the first two posts of it', async () => {
    emulator.failNext({ method: 'chat.postMessage', channel, error: 'internal_error', times: 2 });
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-124' });
    const run = await waitFor(
      async () => (await warden.services.db.select().from(runs)).find((r) => r.slackThreadTs),
      { what: 'the run with its thread' },
    );
    const opener = emulator.messages(channel).find((m) => m.ts === run.slackThreadTs);
    expect(opener).toBeDefined();
    // The message is turned into the run's card, and the thread fills from Postgres.
    await waitFor(
      () => {
        const m = emulator.messages(channel).find((x) => x.ts === run.slackThreadTs);
        return m?.edited && blockText(m).includes(run.id) ? m : undefined;
      },
      { what: 'the run message updated' },
    );
    await waitFor(() => emulator.thread(channel, run.slackThreadTs!).length > 3, {
      what: 'thread replies',
    });
    expect(await warden.services.db.select().from(runs)).toHaveLength(1);
    expect(answers().join('\n')).not.toMatch(/unavailable|Nothing ran|not started/i);
  });

  it('anchors the chain head once, equal to the head in Postgres, and ends the thread once, when the first anchor post fails', async () => {
    emulator.failNext({ method: 'chat.postMessage', channel: people.audit, error: 'internal_error' });
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-124' });
    const run = await waitFor(
      async () => {
        const [row] = await warden.services.db.select().from(runs);
        return row && row.state !== 'running' ? row : undefined;
      },
      { what: 'the run to finish', timeoutMs: 20_000 },
    );
    await waitFor(() => postsTo(people.audit).length === 1, { what: 'the failed anchor post' });
    // The retry waits for Warden's clock; meanwhile let everything the run set off reach the chain
    // (the behaviour alerts are audit events too), so the head stays put from here on.
    await warden.services.settleAudit();
    const head = await auditHead({ db: warden.services.db });
    const anchor = await waitFor(
      () => {
        warden.services.clock.advance(2_000);
        return emulator.messages(people.audit).find((m) => m.text.includes(run.id));
      },
      { what: 'the chain head in the audit channel' },
    );
    expect(anchor.text).toContain(`event #${head!.seq}, sha256 ${head!.hash}`);
    expect(await auditHead({ db: warden.services.db })).toEqual(head);
    const [finished] = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'run.finished'));
    const endsThread = (m: { text: string; blocks: unknown[] }) =>
      blockText(m).includes(`\`#${finished!.seq}\``);
    await waitFor(() => emulator.thread(channel, run.slackThreadTs!).some(endsThread), {
      what: 'the run.finished line in the thread',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(emulator.thread(channel, run.slackThreadTs!).filter(endsThread)).toHaveLength(1);
    expect(emulator.messages(people.audit)).toHaveLength(1);
    expect(postsTo(people.audit).map((c) => c.error)).toEqual(['internal_error', null]);
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))(
  'Slack: kill switch announcements with two instances on Postgres',
  () => {
    const database = useTestDatabase('postgres');
    let emulator: SlackEmulator;
    let a: WardenInstance;
    let b: WardenInstance;

    beforeEach(async () => {
      const started = await startEmulator();
      emulator = started.emulator;
      a = await startWarden({ database, emulator, apiUrl: started.apiUrl, instanceId: 'posts-a' });
      b = await startWarden({
        database: database.connectAnother(),
        emulator,
        apiUrl: started.apiUrl,
        instanceId: 'posts-b',
      });
    });
    afterEach(async () => {
      await stopWarden(a);
      await stopWarden(b);
      await emulator.stop();
    });

    it('posts each announcement exactly once, in order, when Slack recovers, though both sync workers kept trying', async () => {
      emulator.failNext({ method: 'chat.postMessage', channel, error: 'internal_error', times: 10_000 });
      const sentAt = Date.now();
      emulator.setWardenUrl(a.url);
      await emulator.sendCommand({ user: people.outsider, channel, text: 'kill triage two instance drill' });
      await waitFor(async () => (await readKillState({ db: b.services.db, agent: 'triage' })).engaged, {
        what: 'the kill committed',
      });
      emulator.setWardenUrl(b.url);
      await emulator.sendCommand({ user: people.owner, channel, text: 'resume triage' });
      // Both workers keep retrying while Slack fails: wait for that, not for a number of tries in a time.
      const failedPosts = () =>
        emulator.calls('chat.postMessage').filter((c) => c.params.channel === channel);
      const bothRetried = () =>
        failedPosts().length > 4 &&
        [a, b].every((i) => i.services.logs.text().includes('kill switch announcement failed; will retry'));
      while (!bothRetried() && Date.now() - sentAt < 60_000) await retryTime(a, b);
      const failed = failedPosts();
      expect(failed.length).toBeGreaterThan(4);
      expect(failed.every((c) => c.error === 'internal_error')).toBe(true);
      for (const instance of [a, b])
        expect(instance.services.logs.text()).toContain('kill switch announcement failed; will retry');

      // Slack recovers; both instances try at the same moment, so only the claim keeps them from both posting.
      await Promise.all([a.surface.sync.stop(), b.surface.sync.stop()]);
      emulator.clearFaults();
      for (let i = 0; i < 4; i += 1) {
        for (const instance of [a, b]) instance.services.clock.advance(30_000);
        await Promise.all([a.surface.sync.kick(), b.surface.sync.kick()]);
      }
      const announced = emulator.messages(channel);
      expect(announced).toHaveLength(2);
      expect(blockText(announced[0]!)).toContain('two instance drill');
      expect(blockText(announced[1]!)).toContain(`<@${people.owner}> resumed`);
      const outbox = await announcementsOutbox(a);
      expect(outbox.map((o) => [o.action, o.status, o.messageTs])).toEqual([
        ['kill.engaged', 'posted', announced[0]!.ts],
        ['kill.released', 'posted', announced[1]!.ts],
      ]);
    });
  },
);
