import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditHead } from '../../../src/audit/audit.repository.ts';
import { readKillState } from '../../../src/breakers/kill-switch.repository.ts';
import { auditEvents, runs } from '../../../src/db/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const channel = people.incidents;

/**
 * Messages a listener posts itself, after Postgres committed: the kill and resume announcements and the
 * run message a thread hangs under. A failed Slack call must not lose them (DESIGN §4.6).
 */
describe('Slack: messages posted by the listeners survive Slack failing', () => {
  let database: TestDatabase;
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    database = await createTestDatabase('pglite');
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({ database, emulator, apiUrl: started.apiUrl, instanceId: 'posts-a' });
    emulator.setWardenUrl(warden.url);
  });
  afterEach(async () => {
    await stopWarden(warden);
    await emulator.stop();
    await database.drop();
  });

  const postsTo = (where: string) =>
    emulator.calls('chat.postMessage').filter((c) => c.params.channel === where);
  const answers = () => emulator.responseUrlPosts().map((p) => JSON.stringify(p.body));

  it('announces a kill in the channel once although Slack failed the first two posts, and never says nothing ran', async () => {
    emulator.failNext({ method: 'chat.postMessage', channel, error: 'internal_error', times: 2 });
    await emulator.sendCommand({ user: people.outsider, channel, text: 'kill triage flaky slack drill' });
    const announcement = await waitFor(
      () => emulator.messages(channel).find((m) => blockText(m).includes('flaky slack drill')),
      { what: 'the kill announcement' },
    );
    expect(blockText(announcement)).toContain(people.outsider);
    expect(postsTo(channel).map((c) => c.error)).toEqual(['internal_error', 'internal_error', null]);
    expect(await readKillState({ db: warden.services.db, agent: 'triage' })).toMatchObject({ engaged: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(emulator.messages(channel)).toHaveLength(1);
    expect(answers().join('\n')).not.toMatch(/unavailable|Nothing ran/i);
  });

  it('tells the person privately that the kill switch is engaged when Slack keeps refusing the announcement', async () => {
    emulator.failNext({ method: 'chat.postMessage', channel, error: 'internal_error', times: 20 });
    await emulator.sendCommand({ user: people.outsider, channel, text: 'kill triage slack is down' });
    const told = await waitFor(() => answers().find((a) => /kill switch is engaged/i.test(a)), {
      what: 'the private note',
    });
    expect(told).toContain('slack is down');
    expect(told).not.toMatch(/unavailable|Nothing ran/i);
    expect(emulator.responseUrlPosts().at(-1)?.status).toBe(200);
    expect(await readKillState({ db: warden.services.db, agent: 'triage' })).toMatchObject({ engaged: true });
    expect(emulator.messages(channel)).toHaveLength(0);
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
    await warden.services.observability.flush();
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
