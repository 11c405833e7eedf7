import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, proposals, runs, sandboxServices } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { readKillState } from '../../../src/breakers/kill-switch.repository.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { validateBlocks } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  buttonsOf,
  people,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

describe.each(databaseKinds)('Slack: /agent triage end to end on %s', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({ database, instanceId: 'slack-a' }));
  });
  afterEach(() => stopSlack({ emulator, warden }));

  const channel = people.incidents;
  const cardFor = (tool: string) =>
    emulator
      .messages(channel)
      .find((m) => m.threadTs === null && m.text.includes(tool) && buttonsOf(m).length > 0);
  const messageAt = (ts: string) => emulator.messages(channel).find((m) => m.ts === ts)!;
  const checkoutVersion = async () => {
    const [row] = await warden.services.db
      .select({ version: sandboxServices.version })
      .from(sandboxServices)
      .where(and(eq(sandboxServices.environment, 'production'), eq(sandboxServices.name, 'checkout')));
    return row?.version;
  };

  async function triage() {
    const ack = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    expect(ack.status).toBe(200);
    expect(ack.ackMs).toBeLessThan(3_000);
    return waitFor(() => cardFor('rollback_deploy'), {
      what: 'the rollback approval card',
      timeoutMs: 20_000,
    });
  }

  it('posts an approval card, refuses the requester, runs the rollback after two approvers, and fills the thread', async () => {
    const card = await triage();
    expect(buttonsOf(card)).toEqual(['Approve', 'Reject']);
    expect(blockText(card)).toContain('production');
    expect(blockText(card)).toContain('v2.13.4');
    expect(validateBlocks(card.blocks)).toEqual([]);

    // The requester cannot approve their own action, and is told why, privately.
    await emulator.clickButton({
      user: people.oncall,
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    await waitFor(
      () => emulator.ephemerals(people.oncall).find((e) => /someone else|requester|own/i.test(e.text)),
      {
        what: 'the self-approval refusal',
      },
    );
    // An approver outside the group is refused.
    await emulator.clickButton({
      user: people.outsider,
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    await waitFor(() => emulator.ephemerals(people.outsider).find((e) => e.text.includes('sre-approvers')), {
      what: 'the outsider refusal',
    });
    expect(await checkoutVersion()).toBe('v2.14.0');

    // 2-of-N: the first approval is recorded, the second executes.
    await emulator.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    await waitFor(() => emulator.ephemerals(people.approvers[0]).find((e) => /1 of 2/.test(e.text)), {
      what: 'the partial approval note',
    });
    expect(await checkoutVersion()).toBe('v2.14.0');
    await emulator.clickButton({
      user: people.approvers[1],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    await waitFor(async () => (await checkoutVersion()) === 'v2.13.4', {
      what: 'the rollback in the sandbox',
    });

    // The card is updated in place: no buttons, who decided, the outcome.
    const updated = await waitFor(
      () => {
        const m = messageAt(card.ts);
        return m.edited && buttonsOf(m).length === 0 && /succeeded|done|ran/i.test(blockText(m))
          ? m
          : undefined;
      },
      { what: 'the updated card' },
    );
    expect(blockText(updated)).toContain(people.approvers[1]);
    expect(validateBlocks(updated.blocks)).toEqual([]);

    // The thread holds the trail, and the requester was told the result.
    const [run] = await warden.services.db.select().from(runs);
    const thread = await waitFor(
      () => {
        const replies = emulator.thread(channel, run!.slackThreadTs!);
        return replies.some((r) => r.text.includes(`<@${people.oncall}>, your rollback of checkout`))
          ? replies
          : undefined;
      },
      { what: 'the requester told in the thread' },
    );
    const trail = thread.map(blockText).join('\n');
    for (const action of [
      'run.started',
      'proposal.decided',
      'approval.refused',
      'approval.recorded',
      'execution.started',
    ]) {
      expect(trail).toContain(action);
    }
    for (const reply of thread) expect(validateBlocks(reply.blocks)).toEqual([]);
    // The run's summary ends its part of the thread: what was checked, found and proposed.
    const summary = thread.find((r) => r.text.includes(`run ${run!.id}: completed`));
    expect(summary).toBeDefined();
    const summaryText = blockText(summary!);
    for (const part of [
      '*Checked* — 5 reads in production',
      '`get_service_health service=checkout`',
      '`get_recent_deploys limit=5 service=checkout`',
      'Health: checkout is degraded on v2.14.0',
      'Deploys: dep-1004 v2.13.4 → v2.14.0',
      '*Waiting for approval*',
      '`rollback_deploy service=checkout to_version=v2.13.4` in production — needs 2 approvals',
    ]) {
      expect(summaryText).toContain(part);
    }
    expect(await verifyAuditChain({ db: warden.services.db })).toMatchObject({ ok: true });
    // The chain head is anchored in the audit channel once the run has finished.
    await waitFor(() => emulator.messages(people.audit).find((m) => /chain head/i.test(m.text)), {
      what: 'the chain head in the audit channel',
    });
  });

  it('records a rejection with its reason from the modal, and never runs the action', async () => {
    const card = await triage();
    await emulator.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.reject',
    });
    await waitFor(() => emulator.views(people.approvers[0]).length > 0, { what: 'the reason modal' });
    const submitted = await emulator.submitView({
      user: people.approvers[0],
      values: { reason: { reason: 'roll forward instead' } },
    });
    expect(submitted.status).toBe(200);
    const updated = await waitFor(
      () => {
        const m = messageAt(card.ts);
        return m.edited && /rejected/i.test(blockText(m)) ? m : undefined;
      },
      { what: 'the rejected card' },
    );
    expect(buttonsOf(updated)).toEqual([]);
    expect(blockText(updated)).toContain('roll forward instead');
    const [row] = await warden.services.db.select().from(proposals).where(eq(proposals.slackTs, card.ts));
    expect(row?.state).toBe('rejected');
    expect(await checkoutVersion()).toBe('v2.14.0');
    // The requester is told the result in the run's thread.
    const [run] = await warden.services.db.select().from(runs);
    await waitFor(
      () =>
        emulator
          .thread(channel, run!.slackThreadTs!)
          .find((r) =>
            r.text.includes(`rejected <@${people.oncall}>’s rollback of checkout to v2.13.4 in production`),
          ),
      { what: 'the requester told of the rejection' },
    );
  });

  it('shows an expired approval as expired, never as rejected', async () => {
    const card = await triage();
    warden.services.clock.advance(31 * 60_000);
    await warden.surface.sync.kick();
    const updated = await waitFor(
      () => {
        const m = messageAt(card.ts);
        return m.edited && /expired/i.test(blockText(m)) ? m : undefined;
      },
      { what: 'the expired card' },
    );
    expect(blockText(updated)).not.toMatch(/rejected/i);
    expect(buttonsOf(updated)).toEqual([]);
  });

  it('kill during a pending approval cancels it, updates the card, and says who and why in the channel', async () => {
    const card = await triage();
    await emulator.sendCommand({ user: people.outsider, channel, text: 'kill triage runaway rollbacks' });
    const announcement = await waitFor(
      () =>
        emulator
          .messages(channel)
          .find((m) => /kill/i.test(m.text) && blockText(m).includes('runaway rollbacks')),
      { what: 'the kill announcement' },
    );
    expect(blockText(announcement)).toContain(people.outsider);
    const updated = await waitFor(
      () => {
        const m = messageAt(card.ts);
        return m.edited && /cancel/i.test(blockText(m)) ? m : undefined;
      },
      { what: 'the cancelled card' },
    );
    expect(buttonsOf(updated)).toEqual([]);
    // A click from a client still showing the old card is signed and delivered like any other: refused.
    const [cancelled] = await warden.services.db
      .select()
      .from(proposals)
      .where(eq(proposals.slackTs, card.ts));
    expect(cancelled?.state).toBe('cancelled');
    const stale = await emulator.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
      asFirstPosted: true,
    });
    expect(stale.status).toBe(200);
    await waitFor(
      () =>
        emulator
          .ephemerals(people.approvers[0])
          .find((e) => e.text.includes('no longer waiting for approval: it is cancelled')),
      { what: 'the stale click refused' },
    );
    const trail = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.proposalId, cancelled!.id));
    expect(trail.filter((e) => e.action.startsWith('execution.'))).toEqual([]);
    expect(trail.filter((e) => e.action === 'approval.recorded')).toEqual([]);
    expect(await checkoutVersion()).toBe('v2.14.0');

    // While the switch is engaged a triage is refused and nothing starts.
    const topLevel = () => emulator.messages(channel).filter((m) => m.threadTs === null).length;
    const shown = topLevel();
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-124' });
    await waitFor(
      () => emulator.ephemerals(people.oncall).find((e) => e.text.includes('The kill switch is engaged')),
      { what: 'the triage refusal' },
    );
    expect(await warden.services.db.select().from(runs).where(eq(runs.incidentId, 'INC-124'))).toEqual([]);
    expect(topLevel()).toBe(shown);

    // Only an owner may resume: the on-call's attempt is refused and the switch stays engaged.
    await emulator.sendCommand({ user: people.oncall, channel, text: 'resume triage' });
    await waitFor(
      () => emulator.ephemerals(people.oncall).find((e) => e.text.includes('Only an owner of triage')),
      { what: 'the resume refusal' },
    );
    expect(await readKillState({ db: warden.services.db, agent: 'triage' })).toMatchObject({ engaged: true });
    expect(emulator.messages(channel).some((m) => /resumed/i.test(m.text))).toBe(false);
    await emulator.sendCommand({ user: people.owner, channel, text: 'resume triage' });
    await waitFor(() => emulator.messages(channel).find((m) => /resum/i.test(m.text)), {
      what: 'the resume message',
    });
    expect(await readKillState({ db: warden.services.db, agent: 'triage' })).toMatchObject({
      engaged: false,
    });
  });
});
