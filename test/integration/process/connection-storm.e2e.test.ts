import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runs } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.verify.ts';
import { rawRowsOf } from '../../../src/db/pipeline.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { BUSY_COMMAND_TEXT } from '../../../src/slack/admission-answer.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { buttonsOf, people, startEmulator, waitFor, workspaceEnv } from '../../helpers/slack-harness.ts';
import { health, spawnWarden, type WardenProcess } from '../../helpers/warden-process.ts';

const channel = people.incidents;
/** Warden's connections say who they are, so the storm cuts only them (never the test's own). */
const APP_NAME = 'warden-storm';
const STORM_MS = 20_000;
const EVERY_MS = 300;

describe.skipIf(!databaseKinds.includes('postgres'))(
  'Warden while its database connections keep dying',
  () => {
    const database = useTestDatabase('postgres');
    let emulator: SlackEmulator;
    let warden: WardenProcess;

    beforeEach(async () => {
      const started = await startEmulator();
      emulator = started.emulator;
      warden = await spawnWarden({
        env: {
          ...workspaceEnv({ databaseUrl: database.url!, apiUrl: started.apiUrl, instanceId: 'storm-a' }),
          PGAPPNAME: APP_NAME,
          // This test is about connections, not CPU priority (run-worker-priority.test.ts is): at nice 19 its
          // dozen runs crawl when other processes keep the CPUs busy (~35 s each beside two busy loops).
          WARDEN_RUN_WORKER_NICE: '0',
        },
      });
      emulator.setWardenUrl(warden.url);
      await waitFor(async () => (await health(warden.url)).status === 200, {
        what: 'Warden healthy',
        timeoutMs: 60_000,
      });
    });
    afterEach(async () => {
      await warden.kill();
      await emulator.stop();
    });

    /** Rethrows a failed wait with what it takes to understand it: `context`, then what Warden said last. */
    const explained =
      (context: () => string | Promise<string>, tail = 8_000) =>
      async (error: unknown): Promise<never> => {
        throw new Error(`${String(error)}; ${await context()}\n${warden.output().slice(-tail)}`);
      };

    const rollbackCards = () =>
      emulator
        .messages(channel)
        .filter((m) => m.threadTs === null && m.text.includes('rollback_deploy') && buttonsOf(m).length > 0);

    /** Terminates every backend of Warden's every `EVERY_MS` for `STORM_MS`, as failovers and poolers do. */
    async function storm(): Promise<number> {
      let terminated = 0;
      const until = performance.now() + STORM_MS;
      while (performance.now() < until) {
        const rows = rawRowsOf(
          await database.db.execute(
            sql`select pg_terminate_backend(pid) as gone from pg_stat_activity where application_name = ${APP_NAME}`,
          ),
        );
        terminated += rows.filter((r) => r.gone === true).length;
        await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
      }
      return terminated;
    }

    it('never exits, runs nothing twice, leaves no run running, and keeps the chain whole during runs, clicks and kills', {
      timeout: 300_000,
    }, async () => {
      const triageAnswers: string[] = [];
      for (let i = 0; i < 3; i++) {
        // A loaded machine may make Warden shed a command as busy (nothing started): people try again.
        for (let attempt = 0; attempt < 10; attempt++) {
          const answer = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
          triageAnswers.push(`${answer.status} ${answer.body.slice(0, 300)}`);
          if (!answer.body.includes(BUSY_COMMAND_TEXT)) break;
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
      }
      const cards = await waitFor(() => (rollbackCards().length >= 3 ? rollbackCards() : undefined), {
        what: 'three rollback cards',
        timeoutMs: 120_000,
      }).catch(
        explained(() => {
          const said = emulator
            .messages(channel)
            .map((m) => `${m.threadTs ?? 'top'}: ${m.text.slice(0, 200)}`);
          return `answers: ${triageAnswers.join(' | ')}\nchannel:\n${said.join('\n')}`;
        }),
      );

      // People keep working through the storm: new runs, both approvals on every card, a kill and a resume.
      const work = async () => {
        // Each answer is observed at once (a rejection left waiting would be reported as unhandled).
        const sent: Promise<PromiseSettledResult<{ status: number }>>[] = [];
        const send = (request: Promise<{ status: number }>) =>
          sent.push(
            request.then(
              (value) => ({ status: 'fulfilled' as const, value }),
              (reason: unknown) => ({ status: 'rejected' as const, reason }),
            ),
          );
        const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        for (let round = 0; round < 6; round++) {
          send(emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' }));
          for (const card of cards) {
            for (const approver of people.approvers) {
              const click = { user: approver, channel, messageTs: card.ts, actionId: 'proposal.approve' };
              send(emulator.clickButton({ ...click, asFirstPosted: true }));
            }
          }
          if (round === 2)
            send(emulator.sendCommand({ user: people.oncall, channel, text: 'kill triage storm drill' }));
          if (round === 3) send(emulator.sendCommand({ user: people.owner, channel, text: 'resume triage' }));
          await wait(2_500);
        }
        return Promise.all(sent);
      };
      const [terminated, answers] = await Promise.all([storm(), work()]);
      expect(terminated).toBeGreaterThan(20);
      for (const answer of answers) {
        expect(answer).toMatchObject({ status: 'fulfilled', value: { status: 200 } });
      }

      // Back to normal: healthy again, every run ended (none left `running`). The bound is generous: on a
      // loaded machine reconnecting every pooled connection after the storm can take a while.
      await waitFor(async () => (await health(warden.url)).status === 200, {
        what: 'Warden healthy after the storm',
        timeoutMs: 120_000,
      }).catch(
        explained(async () => {
          const said = await health(warden.url).catch((e: unknown) => ({
            status: 0,
            body: { error: String(e) },
          }));
          return `healthz: ${JSON.stringify(said)}`;
        }),
      );
      const running = () => database.db.select().from(runs).where(eq(runs.state, 'running'));
      await waitFor(async () => (await running()).length === 0, {
        what: 'no run left running',
        timeoutMs: 90_000,
      }).catch(
        explained(async () => {
          const left = (await running()).map((r) => r.id);
          // Every line about those runs (the tail alone is mostly the storm's failed queries).
          const about = warden
            .output()
            .split('\n')
            .filter((line) => left.some((id) => line.includes(id)))
            .map((line) => line.slice(0, 1_500));
          return `running: ${left.join(', ')}\n${about.join('\n')}`;
        }, 4_000),
      );
      expect(warden.child.exitCode, warden.output().slice(-3_000)).toBeNull();
      expect(warden.output()).not.toMatch(/uncaught error/);
      // Neither thread met a rejection nobody handled (the driver's own, once), and the run worker never died.
      expect(warden.output()).not.toMatch(/nobody to handle it|run worker exited/);
      // The runs were worked through by the run worker thread (WARDEN_RUN_WORKER: its default on Postgres).
      const all = await database.db.select().from(runs);
      expect(all.length).toBeGreaterThan(0);
      expect(new Set(all.map((r) => r.runBy))).toEqual(new Set(['storm-a.runs']));

      // Nothing ran twice: at most one execution started per proposal.
      const started = rawRowsOf(
        await database.db.execute(
          sql`select proposal_id, count(*)::int as n from audit_events where action = 'execution.started' group by proposal_id`,
        ),
      );
      for (const row of started) expect(row.n, `proposal ${String(row.proposal_id)}`).toBe(1);
      const verified = await verifyAuditChain({ db: database.db });
      expect(verified.ok, JSON.stringify(verified)).toBe(true);
    });
  },
);
