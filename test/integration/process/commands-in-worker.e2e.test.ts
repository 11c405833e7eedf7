import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killSwitches, runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { blockText, people, startEmulator, waitFor, workspaceEnv } from '../../helpers/slack-harness.ts';
import { health, spawnWarden, type WardenProcess } from '../../helpers/warden-process.ts';

const INSTANCE = 'cmd-a';
const WORKER = `${INSTANCE}.runs`;
const channel = people.incidents;

/**
 * With the run worker thread (the default on Postgres), the serving thread only acks `/agent …`: once the
 * worker is up, each command's work (its reads, its answer, the run a triage starts) and the mirror into
 * Slack run in that thread (`run-worker.slack.ts`). Warden in a process of its own against the Slack
 * emulator; what a person sees is judged, and the log says which thread did the work.
 */
describe.skipIf(!databaseKinds.includes('postgres'))(
  'slash commands worked through in the run worker thread',
  { timeout: 180_000 },
  () => {
    const database = useTestDatabase('postgres');
    let emulator: SlackEmulator;
    let warden: WardenProcess | undefined;
    let apiUrl: string;

    beforeAll(async () => {
      const started = await startEmulator();
      emulator = started.emulator;
      apiUrl = started.apiUrl;
    });
    afterAll(async () => {
      await warden?.kill();
      await emulator?.stop();
    });

    /** Sends `/agent <text>` and returns the answer posted to that command's response_url, and the request. */
    async function ask(text: string) {
      const sent = await emulator.sendCommand({ user: people.oncall, channel, text });
      expect(sent.status).toBe(200);
      const id = new URLSearchParams(sent.request.body).get('response_url')!.split('/').pop();
      const post = await waitFor(() => emulator.responseUrlPosts().find((p) => p.id === id), {
        what: `the answer to /agent ${text}`,
        timeoutMs: 30_000,
      });
      const body = post.body as { response_type?: string; text: string; blocks?: unknown[] };
      expect(body.response_type).toBe('ephemeral');
      return { sent, answer: blockText({ text: body.text, blocks: body.blocks ?? [] }) };
    }
    /** Log lines of the run worker's instance saying it handled a command. */
    const handledInWorker = (command: string) =>
      warden!
        .output()
        .split('\n')
        .filter(
          (line) =>
            line.includes('slash command handled in the run worker') &&
            line.includes(`"instance":"${WORKER}"`) &&
            line.includes(`"command":"${command}"`),
        );
    const endedRun = (incidentId: string) =>
      waitFor(
        async () => {
          const [row] = await database.db.select().from(runs).where(eq(runs.incidentId, incidentId));
          return row && row.state !== 'running' ? row : undefined;
        },
        { what: `the run on ${incidentId} to end`, timeoutMs: 90_000 },
      );

    it('the first command starts the worker; from then on commands, runs, kills and the mirror work there', async () => {
      // The database is the test's own (made for each test), so Warden starts here.
      warden = await spawnWarden({
        env: {
          ...workspaceEnv({ databaseUrl: database.url!, apiUrl: apiUrl, instanceId: INSTANCE }),
        },
      });
      emulator.setWardenUrl(warden.url);
      await waitFor(async () => (await health(warden!.url)).status === 200, {
        what: 'Warden healthy',
        timeoutMs: 60_000,
      });
      // The worker is not up yet: this triage is handled on the serving thread and hands its run over.
      await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
      expect(await endedRun('INC-123')).toMatchObject({ state: 'completed', runBy: WORKER });
      const tookOver = (line: string) => line.includes('"slack":true') && line.includes('run worker started');
      await waitFor(() => warden!.output().split('\n').some(tookOver), {
        what: 'the worker to take Slack over',
        timeoutMs: 30_000,
      });

      const { sent, answer } = await ask('status');
      expect(answer).toMatch(/Warden status/);
      expect(handledInWorker('status')).toHaveLength(1);
      // Slack retries the command: the worker's claim finds it handled; nothing is answered twice.
      const posts = emulator.responseUrlPosts().length;
      expect((await emulator.retry(sent.request)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(emulator.responseUrlPosts()).toHaveLength(posts);

      // A triage handled in the worker: its run message, the run, and its thread mirrored from there.
      await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-124' });
      const run = await endedRun('INC-124');
      expect(run).toMatchObject({ state: 'completed', runBy: WORKER });
      expect(handledInWorker('triage')).toHaveLength(1);
      const opening = emulator.messages(channel).find((m) => m.ts === run.slackThreadTs);
      expect(opening?.text).toMatch(/INC-124/);
      await waitFor(() => emulator.thread(channel, run.slackThreadTs!).length > 1, {
        what: 'the run mirrored into its thread',
        timeoutMs: 30_000,
      });

      // A kill handled in the worker engages, and its announcement is posted to the channel.
      await emulator.sendCommand({ user: people.oncall, channel, text: 'kill triage worker drill' });
      await waitFor(() => emulator.messages(channel).find((m) => blockText(m).includes('worker drill')), {
        what: 'the kill announcement',
        timeoutMs: 30_000,
      });
      const [row] = await database.db
        .select()
        .from(killSwitches)
        .where(eq(killSwitches.scope, 'agent:triage'));
      expect(row?.engaged).toBe(true);
      expect(handledInWorker('kill')).toHaveLength(1);

      // What a person typed is not logged: an unknown first word is answered with the usage, logged as "other".
      const typed = await ask('Zq9PastedThing status');
      expect(typed.answer).toMatch(/Unknown command/);
      expect(handledInWorker('other')).toHaveLength(1);
      expect(warden!.output()).not.toContain('Zq9PastedThing');
      expect(warden!.output()).not.toMatch(/uncaught|run worker exited|could not handle a slash command/);
    });
  },
);
