import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Planner } from '../../../src/agents/planner.types.ts';
import { proposals, sandboxServices } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { useTestDatabase } from '../../helpers/database.ts';
import {
  buttonsOf,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

/** A planner that proposes scaling checkout in production to 9 replicas, and nothing else. */
const scaleUp: Planner = {
  name: 'scripted',
  next: async () => ({
    kind: 'final',
    summary: 'Checkout needs more replicas.',
    tokens: 0,
    proposals: [
      {
        tool: 'scale_service',
        args: { service: 'checkout', replicas: 9 },
        environment: 'production',
        rationale: 'Traffic is up.',
        expectedEffect: 'More capacity.',
        rollback: 'Scale back.',
      },
    ],
  }),
};

describe('Slack: Undo on a result card', () => {
  const database = useTestDatabase('pglite');
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({
      database,
      emulator,
      apiUrl: started.apiUrl,
      instanceId: 'undo-a',
      planner: scaleUp,
    });
    emulator.setWardenUrl(warden.url);
  });
  afterEach(async () => {
    await stopWarden(warden);
    await emulator.stop();
  });

  const replicas = async () => {
    const [row] = await warden.services.db
      .select()
      .from(sandboxServices)
      .where(and(eq(sandboxServices.environment, 'production'), eq(sandboxServices.name, 'checkout')));
    return row?.replicas;
  };
  // A proposal's card names it in its fallback text; the run's own message may list its id too.
  const cardOf = (id: string) =>
    emulator.messages(people.incidents).find((m) => m.text.includes(`(proposal ${id})`));
  const click = (user: string, ts: string, actionId: string) =>
    emulator.clickButton({ user, channel: people.incidents, messageTs: ts, actionId });

  it('proposes the recorded inverse through the guard, with its own approval, and runs it once', async () => {
    const before = await replicas();
    await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-123' });
    const [scale] = await waitFor(
      async () => {
        const rows = await warden.services.db
          .select()
          .from(proposals)
          .where(eq(proposals.tool, 'scale_service'));
        return rows.length && cardOf(rows[0]!.id) ? rows : null;
      },
      { what: 'the scale card', timeoutMs: 30_000 },
    );
    const card = cardOf(scale!.id)!;
    expect(buttonsOf(card)).toEqual(['Approve', 'Reject']);
    await click(people.approvers[0], card.ts, 'proposal.approve');
    await waitFor(async () => (await replicas()) === 9, { what: 'the scale-up', timeoutMs: 30_000 });
    const done = await waitFor(
      () => {
        const m = cardOf(scale!.id);
        return m && buttonsOf(m).includes('Undo') ? m : null;
      },
      { what: 'Undo on the result card' },
    );
    expect(buttonsOf(done)).toEqual(['Undo']);

    // Two people click Undo at once: one undo proposal, and the second is told it was already asked for.
    await Promise.all([
      click(people.oncall, done.ts, 'proposal.undo'),
      click(people.approvers[1], done.ts, 'proposal.undo'),
    ]);
    const undo = await waitFor(
      async () => {
        const rows = await warden.services.db
          .select()
          .from(proposals)
          .where(eq(proposals.tool, 'scale_service'));
        return rows.find((p) => p.id !== scale!.id) ?? null;
      },
      { what: 'the undo proposal' },
    );
    expect(undo).toMatchObject({
      args: { service: 'checkout', replicas: before },
      environment: 'production',
      runId: scale!.runId,
      source: 'human',
      decision: 'needs_approval',
      state: 'pending',
    });
    expect(undo.evidence).toMatchObject({ undoOf: scale!.id });
    // It waits for its own approval: nothing changed yet.
    expect(await replicas()).toBe(9);
    const undoCard = await waitFor(() => cardOf(undo.id), { what: 'the undo card' });
    await click(people.approvers[0], undoCard.ts, 'proposal.approve');
    await waitFor(async () => (await replicas()) === before, { what: 'the scale-down', timeoutMs: 30_000 });

    const scales = await warden.services.db
      .select()
      .from(proposals)
      .where(eq(proposals.tool, 'scale_service'));
    expect(scales).toHaveLength(2);
    await waitFor(
      () =>
        [people.oncall, people.approvers[1]].some((u) =>
          emulator.ephemerals(u).some((e) => /already asked for/.test(JSON.stringify(e))),
        ),
      { what: 'the second Undo click told it was already asked for' },
    );
  });
});
