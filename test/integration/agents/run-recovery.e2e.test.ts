import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { useTestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';
import { hangingPlanner } from './agents.helpers.ts';

describe('Slack: a run whose instance died', { timeout: 120_000 }, () => {
  const database = useTestDatabase('pglite');
  let emulator: SlackEmulator;
  let apiUrl: string;
  let dead: WardenInstance | null = null;
  let restarted: WardenInstance | null = null;

  beforeEach(async () => {
    ({ emulator, apiUrl } = await startEmulator());
  });
  afterEach(async () => {
    if (restarted) await stopWarden(restarted);
    if (dead) {
      // The dead instance's runner is only memory here; let it end before the database goes (late: changes nothing).
      dead.services.inFlight.abortRuns({ reason: 'test over' });
      await waitFor(
        async () =>
          (await database.db.select().from(auditEvents).where(eq(auditEvents.action, 'run.ended_late')))[0],
        { what: 'the late end of the dead runner' },
      ).catch(() => {});
    }
    await emulator.stop();
  });

  it('its thread hears that it failed because the instance stopped, and /agent status no longer shows it running', async () => {
    const { planner, waiting } = hangingPlanner();
    dead = await startWarden({ database, emulator, apiUrl, instanceId: 'warden-a', planner });
    emulator.setWardenUrl(dead.url);
    await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-123' });
    const run = await waitFor(
      async () => {
        const [row] = await database.db.select().from(runs);
        return row?.slackThreadTs && waiting.signal ? row : undefined;
      },
      { what: 'the run waiting on its model, with a thread' },
    );
    // The instance dies mid-run (its runner never gets to record an end).
    await stopWarden(dead);

    // Restarted (embedded PGlite: one process, so no run can still be running).
    restarted = await startWarden({ database, emulator, apiUrl, instanceId: 'warden-b' });
    emulator.setWardenUrl(restarted.url);
    const ended = await waitFor(
      () =>
        emulator
          .thread(people.incidents, run.slackThreadTs!)
          // A reply, not the run's own message (which now says how the run ended too).
          .find((m) => m.ts !== run.slackThreadTs && blockText(m).includes('The Warden instance running it')),
      { what: 'the end of the run in its thread' },
    );
    const text = blockText(ended);
    expect(text).toContain(':x: *Failed*');
    expect(text).toContain(
      'The Warden instance running it (warden-a) stopped; Warden restarted as warden-b and ended the run.',
    );
    expect(text).toContain('It proposed nothing before it stopped.');
    expect(text).toContain('Nothing of this run is re-run');
    expect(text).toContain('run.interrupted');
    const [finished] = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.runId, run.id), eq(auditEvents.action, 'run.finished')));
    expect(finished).toMatchObject({ actor: 'warden', reasonCode: 'run.interrupted' });

    const sent = await emulator.sendCommand({
      user: people.oncall,
      channel: people.incidents,
      text: 'status',
    });
    const id = new URLSearchParams(sent.request.body).get('response_url')!.split('/').pop();
    const answer = await waitFor(() => emulator.responseUrlPosts().find((p) => p.id === id), {
      what: 'the answer to /agent status',
    });
    expect(JSON.stringify(answer.body)).toContain('*Runs:* none running.');
  });
});
