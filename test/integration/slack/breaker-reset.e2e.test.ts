import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, runs } from '../../../src/app/schema.ts';
import { openBreakersFor } from '../../../src/breakers/breakers.repository.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { BREAKER_ACTIONS } from '../../../src/slack/blocks/actions.ids.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { charterFromYaml } from '../../helpers/services.ts';
import {
  blockText,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';
import { opsCharterYaml, testCharters } from '../guard/fixtures.ts';

/**
 * A breaker that pauses the whole agent is alerted in the alerts channel with a *Reset breaker* button:
 * only an owner's click resets it (anyone else is told so, and the attempt is audited), and the reset is
 * announced in that channel. Here runs on two incidents stopped for a denied request pause `ops`.
 */
const ops = charterFromYaml(
  opsCharterYaml.replace(
    'breakers:\n',
    'breakers:\n  - { name: denials, kind: denied_requests, threshold: 1, pause_agent: { incidents: 2, within: 1h }, cool_down: 10m }\n',
  ),
  'ops.yaml',
);

describe.each(databaseKinds)('Slack: resetting a paused agent from its alert on %s', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({
      database,
      emulator,
      apiUrl: started.apiUrl,
      instanceId: 'reset-a',
      charters: [...testCharters().filter((c) => c.agent !== 'ops'), ops],
      env: { SLACK_ALERTS_CHANNEL: people.alerts },
    });
    emulator.setWardenUrl(warden.url);
  });
  afterEach(async () => {
    await stopWarden(warden);
    await emulator.stop();
  });

  /** A run on `incidentId` whose one request is denied (ops does not list rollback_deploy): stopped. */
  const poisonedRun = async (id: string, incidentId: string) => {
    const { services } = warden;
    await services.db.insert(runs).values({
      id,
      agent: 'ops',
      charterHash: ops.hash,
      requester: people.oncall,
      incidentId,
      state: 'running',
      startedAt: services.clock.now(),
    });
    const outcome = await services.guard.propose({
      agent: 'ops',
      tool: 'rollback_deploy',
      args: { service: 'checkout', to_version: 'v1' },
      environment: 'production',
      requester: people.oncall,
      runId: id,
      source: 'planner',
    });
    expect(outcome.runStopped?.breaker).toBe('denials');
  };
  const paused = () =>
    openBreakersFor({ db: warden.services.db, agent: 'ops', now: warden.services.clock.now() });

  it('offers Reset only when the agent is paused, and resets for an owner alone', async () => {
    await poisonedRun('run_resetone', 'INC-1');
    await poisonedRun('run_resettwo', 'INC-2');
    expect((await paused()).map((b) => b.name)).toEqual(['denials']);

    const alerts = () => emulator.messages(people.alerts);
    const pause = await waitFor(() => alerts().find((m) => blockText(m).includes('ops is paused until')), {
      what: 'the pause alert',
      timeoutMs: 20_000,
    });
    expect(blockText(pause)).toContain('Tripped by run run_resettwo on incident INC-2.');
    expect(JSON.stringify(pause.blocks)).toContain(BREAKER_ACTIONS.reset);
    // A run stopped for its own denials is alerted too, naming the run and incident, with nothing to reset.
    const stop = await waitFor(
      () => alerts().find((m) => blockText(m).includes('ops stopped run run_resetone')),
      {
        what: 'the run-stop alert',
      },
    );
    expect(blockText(stop)).toContain('on incident INC-1');
    expect(JSON.stringify(stop.blocks)).not.toContain(BREAKER_ACTIONS.reset);

    const click = (user: string) =>
      emulator.clickButton({
        user,
        channel: people.alerts,
        messageTs: pause.ts,
        actionId: BREAKER_ACTIONS.reset,
      });
    expect((await click(people.oncall)).status).toBe(200);
    const told = await waitFor(
      () => emulator.ephemerals(people.oncall).find((e) => e.text.includes('Only an owner of ops')),
      { what: 'the refusal' },
    );
    expect(told.text).toContain('may reset its breakers');
    const refused = await warden.services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'breaker.reset_refused'), eq(auditEvents.actor, people.oncall)));
    expect(refused).toHaveLength(1);
    expect((await paused()).map((b) => b.name)).toEqual(['denials']);

    expect((await click(people.owner)).status).toBe(200);
    await waitFor(() => alerts().find((m) => blockText(m).includes('reset the breakers of `ops`')), {
      what: 'the reset announcement',
    });
    expect(await paused()).toEqual([]);
  });

  it('lists the open breaker on the App Home with Reset, which an owner can click there', async () => {
    await poisonedRun('run_homeone', 'INC-1');
    await poisonedRun('run_hometwo', 'INC-2');
    await emulator.openAppHome({ user: people.owner });
    const home = await waitFor(
      () => {
        const view = emulator.homeView(people.owner);
        return view && JSON.stringify(view.view).includes(BREAKER_ACTIONS.reset) ? view : undefined;
      },
      { what: 'the App Home with the open breaker' },
    );
    expect(JSON.stringify(home.view)).toContain('Circuit breakers not closed (1)');
    expect(
      (await emulator.clickHomeButton({ user: people.owner, actionId: BREAKER_ACTIONS.reset })).status,
    ).toBe(200);
    // No channel to announce in: the owner is told directly, in their DM with Warden.
    const reply = await waitFor(
      () => emulator.messages().find((m) => m.text.includes("Reset ops's breakers")),
      { what: 'the reset reply to the owner', timeoutMs: 20_000 },
    );
    expect(reply).toMatchObject({ channel: `D${people.owner.slice(1)}` });
    expect(await paused()).toEqual([]);
    // The tab is published again: the breaker and its button are gone.
    await waitFor(
      () => {
        const view = emulator.homeView(people.owner);
        return view && !JSON.stringify(view.view).includes(BREAKER_ACTIONS.reset) ? view : undefined;
      },
      { what: 'the App Home without the open breaker', timeoutMs: 20_000 },
    );
    const [reset] = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'breaker.reset'));
    expect(reset).toMatchObject({ actor: people.owner, agent: 'ops', details: { breaker: 'denials' } });
  });
});
