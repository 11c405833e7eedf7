import { and, eq, like, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvals, auditEvents, auditMirror, runs } from '../../../src/app/schema.ts';
import { readKillState } from '../../../src/breakers/kill-switch.repository.ts';
import { connectPostgres } from '../../../src/db/client.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  buttonsOf,
  people,
  proposalOfCard,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';
import { type PostgresProxy, startPostgresProxy } from './postgres-proxy.ts';

/** How long Warden's statements wait for a lock here (production waits longer; see connectPostgres). */
const LOCK_TIMEOUT_MS = 2_000;
const channel = people.incidents;

describe.skipIf(!databaseKinds.includes('postgres'))('Slack with Postgres unreachable or hung', () => {
  const database = useTestDatabase('postgres');
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let proxy: PostgresProxy;
  let heldLocks: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    proxy = await startPostgresProxy(database.url!);
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({
      database: connectPostgres({
        url: proxy.url,
        max: 5,
        timeouts: { lockMs: LOCK_TIMEOUT_MS, statementMs: 10_000 },
      }),
      emulator,
      apiUrl: started.apiUrl,
      instanceId: 'down-a',
    });
    emulator.setWardenUrl(warden.url);
  });
  afterEach(async () => {
    for (const release of heldLocks) await release().catch(() => {});
    heldLocks = [];
    await proxy.restore();
    await stopWarden(warden).catch(() => {});
    // Its pool goes through the proxy: closed, it cannot try to reconnect once the proxy is gone.
    await warden.services.database.close().catch(() => {});
    await emulator.stop();
    await proxy.close();
  });

  /** The rollback card of a triage, posted while the database is up. */
  async function pendingCard() {
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    return waitFor(
      () =>
        emulator
          .messages(channel)
          .find((m) => m.threadTs === null && m.text.includes('rollback_deploy') && buttonsOf(m).length > 0),
      { what: 'the rollback approval card', timeoutMs: 20_000 },
    );
  }
  /** Straight to the database, never through the proxy or Warden. */
  const proposalOn = (cardTs: string) => proposalOfCard(database.db, cardTs);
  async function decisionsOn(proposalId: string) {
    return {
      approvals: await database.db.select().from(approvals).where(eq(approvals.proposalId, proposalId)),
      events: await database.db
        .select({ action: auditEvents.action, actor: auditEvents.actor })
        .from(auditEvents)
        .where(and(eq(auditEvents.proposalId, proposalId), like(auditEvents.action, 'approval.%'))),
    };
  }
  async function click(user: string, cardTs: string, action: 'approve' | 'reject') {
    const ack = await emulator.clickButton({
      user,
      channel,
      messageTs: cardTs,
      actionId: `proposal.${action}`,
    });
    expect(ack.status).toBe(200);
    expect(ack.ackMs).toBeLessThan(3_000);
  }
  const toldTo = (user: string, pattern: RegExp) => () =>
    emulator.ephemerals(user).find((e) => pattern.test(blockText(e)));
  /** A transaction on another connection holding the proposals table until `release()`. */
  function lockProposalsTable() {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const done = database.db.transaction(async (tx) => {
      await tx.execute(sql`lock table proposals in access exclusive mode`);
      locked();
      await released;
    });
    const releaseLock = async () => {
      release();
      await done;
    };
    heldLocks.push(releaseLock);
    return { taken: lockTaken, release: releaseLock };
  }

  it('still acks a command within 3 s, says Warden is unavailable, and runs nothing', async () => {
    await warden.surface.sync.stop();
    await proxy.cut();
    const ack = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    expect(ack.status).toBe(200);
    expect(ack.ackMs).toBeLessThan(3_000);
    const answer = await waitFor(
      () => emulator.responseUrlPosts().find((p) => /unavailable/i.test(JSON.stringify(p))),
      { what: 'the unavailable message', timeoutMs: 30_000 },
    );
    expect(JSON.stringify(answer)).toMatch(/Nothing ran/i);
    expect(JSON.stringify(answer)).not.toMatch(/\s+at\s+\S+\.(ts|js)/);
    expect(await database.db.select().from(runs)).toHaveLength(0);
    expect(emulator.messages(channel)).toHaveLength(0);
  });

  it('acks Approve and Reject clicks while the database is unreachable, counts neither, and takes new clicks once it is back', {
    timeout: 240_000,
  }, async () => {
    const card = await pendingCard();
    const proposal = await proposalOn(card.ts);
    await proxy.cut();

    await click(people.approvers[0], card.ts, 'approve');
    const approveTold = await waitFor(toldTo(people.approvers[0], /unavailable/i), {
      what: 'the approver told Warden is unavailable',
      timeoutMs: 15_000,
    });
    expect(blockText(approveTold)).toMatch(/nothing was approved or rejected, and nothing ran/i);
    await click(people.approvers[1], card.ts, 'reject');
    const rejectTold = await waitFor(toldTo(people.approvers[1], /unavailable/i), {
      what: 'the rejecter told Warden is unavailable',
      timeoutMs: 15_000,
    });
    expect(blockText(rejectTold)).toMatch(/nothing was approved or rejected/i);
    expect(blockText(rejectTold)).not.toMatch(/\s+at\s+\S+\.(ts|js)/);
    // No reason modal was opened for a click that could not be checked.
    expect(emulator.views(people.approvers[1])).toEqual([]);

    await proxy.restore();
    // Warden's pool reconnects on postgres.js's back-off, which the failed passes during the outage grew
    // (up to 20 s); the clicks below are for once Warden reaches the database again.
    await waitFor(
      () =>
        warden.services.db.execute(sql`select 1`).then(
          () => true,
          () => false,
        ),
      { what: 'Warden to reach the database again', timeoutMs: 45_000 },
    );
    expect((await proposalOn(card.ts)).state).toBe('pending');
    expect(await decisionsOn(proposal.id)).toEqual({ approvals: [], events: [] });

    await click(people.approvers[0], card.ts, 'approve');
    // Each click may still wait for one of the pool's other connections to come back (up to 20 s).
    const afterOutage = { timeoutMs: 45_000 };
    await waitFor(toldTo(people.approvers[0], /1 of 2/), { what: 'the approval counted', ...afterOutage });
    await click(people.approvers[1], card.ts, 'reject');
    await waitFor(() => emulator.views(people.approvers[1]).length > 0, {
      what: 'the reason modal',
      ...afterOutage,
    });
    await emulator.submitView({ user: people.approvers[1], values: { reason: { reason: 'db drill' } } });
    await waitFor(async () => (await proposalOn(card.ts)).state === 'rejected', {
      what: 'the rejection',
      ...afterOutage,
    });
    const { approvals: counted, events } = await decisionsOn(proposal.id);
    expect(counted.map((a) => [a.approver, a.decision])).toEqual([
      [people.approvers[0], 'approve'],
      [people.approvers[1], 'reject'],
    ]);
    expect(events.map((e) => e.action)).toEqual(['approval.recorded', 'approval.rejected']);
  });

  it('acts after a 12 s outage on nothing sent during it, tells each sender, and is back within seconds of its end', {
    timeout: 240_000,
  }, async () => {
    const card = await pendingCard();
    const proposal = await proposalOn(card.ts);
    await click(people.approvers[0], card.ts, 'approve');
    await waitFor(toldTo(people.approvers[0], /1 of 2/), { what: 'the first approval counted' });
    const runsBefore = (await database.db.select().from(runs)).length;
    await warden.surface.sync.stop();
    // Unreachable rather than refusing: connecting waits for its timeout, so requests queue for a connection.
    proxy.blackhole();
    const cutAt = performance.now();

    // Well into the outage (the pool's connections are all away by then, so requests queue for one): the
    // approval that would run the irreversible production rollback, three triage commands and a kill. Each
    // is acked within 3 s and each sender is told it was not done.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await click(people.approvers[1], card.ts, 'approve');
    for (let i = 0; i < 3; i++) {
      const ack = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
      expect(ack.ackMs).toBeLessThan(3_000);
    }
    const kill = await emulator.sendCommand({
      user: people.outsider,
      channel,
      text: 'kill triage outage drill',
    });
    expect(kill.ackMs).toBeLessThan(3_000);
    const told = await waitFor(toldTo(people.approvers[1], /unavailable/i), {
      what: 'the second approver told Warden is unavailable',
      timeoutMs: 15_000,
    });
    expect(blockText(told)).toMatch(/did not count: nothing was approved or rejected, and nothing ran/i);
    const unavailable = () =>
      emulator.responseUrlPosts().filter((p) => /unavailable/i.test(JSON.stringify(p.body)));
    await waitFor(() => unavailable().length >= 4, { what: 'every command answered', timeoutMs: 15_000 });
    expect(JSON.stringify(unavailable().map((p) => p.body))).toMatch(/kill switch is not engaged/i);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 12_000 - (performance.now() - cutAt))));
    await proxy.restore();
    const restoredAt = performance.now();
    // Back within seconds: the pool's reconnect back-off stays short however long the outage was.
    await waitFor(
      () =>
        warden.services.db.execute(sql`select 1`).then(
          () => true,
          () => false,
        ),
      { what: 'Warden to reach the database again', timeoutMs: 10_000 },
    );
    expect(performance.now() - restoredAt).toBeLessThan(10_000);

    // Nothing sent during the outage took effect after it, even given time to.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await proposalOn(card.ts)).state).toBe('pending');
    expect((await decisionsOn(proposal.id)).approvals.map((a) => a.approver)).toEqual([people.approvers[0]]);
    expect(await database.db.select().from(runs)).toHaveLength(runsBefore);
    expect(await readKillState({ db: database.db, agent: 'triage' })).toMatchObject({ engaged: false });
  });

  it('records a thread reply Slack took while the database dropped out once it is back: not given up, not posted twice', {
    timeout: 60_000,
  }, async () => {
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-124' });
    const threadTs = await waitFor(
      async () => (await database.db.select().from(runs))[0]?.slackThreadTs ?? undefined,
      { what: 'the run thread', timeoutMs: 20_000 },
    );
    // The reply's link is asked for after the post: slowed down, it leaves a window between Slack taking the
    // reply and Warden recording it, and the database goes away in that window.
    emulator.setLatency({ method: 'chat.getPermalink', ms: 1_500 });
    const before = emulator.calls('chat.postMessage').length;
    const seqOf = (text: string) => /`#(\d+)`/.exec(text)?.[1];
    const reply = await waitFor(
      () =>
        emulator
          .calls('chat.postMessage')
          .slice(before)
          .find((c) => c.ok && c.params.thread_ts === threadTs && seqOf(JSON.stringify(c.params.blocks))),
      { what: 'a thread reply to be posted', timeoutMs: 20_000 },
    );
    await proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await proxy.restore();
    emulator.setLatency({ method: 'chat.getPermalink', ms: 0 });
    const seq = Number(seqOf(JSON.stringify(reply.params.blocks)));
    const mirrored = await waitFor(
      async () => {
        const [row] = await database.db.select().from(auditMirror).where(eq(auditMirror.seq, seq));
        return row?.status === 'posted' ? row : undefined;
      },
      { what: `the reply of #${seq} recorded as posted`, timeoutMs: 30_000 },
    );
    const lines = emulator
      .thread(channel, threadTs)
      .filter((m) => seqOf(JSON.stringify(m.blocks)) === String(seq));
    expect(lines).toHaveLength(1);
    expect(mirrored.messageTs).toBe(lines[0]!.ts);
  });

  it('acks a click while a lock holds the proposals table, and records it exactly once when the lock is released', async () => {
    const card = await pendingCard();
    const proposal = await proposalOn(card.ts);
    const lock = lockProposalsTable();
    await lock.taken;
    await click(people.approvers[0], card.ts, 'approve');
    await new Promise((r) => setTimeout(r, LOCK_TIMEOUT_MS / 2));
    expect(emulator.ephemerals(people.approvers[0])).toEqual([]);
    await lock.release();
    await waitFor(toldTo(people.approvers[0], /1 of 2/), { what: 'the approval counted' });
    await new Promise((r) => setTimeout(r, 500));
    expect(emulator.ephemerals(people.approvers[0])).toHaveLength(1);
    const { approvals: counted, events } = await decisionsOn(proposal.id);
    expect(counted).toHaveLength(1);
    expect(events.map((e) => e.action)).toEqual(['approval.recorded']);
  });

  it('tells the clicker the database did not answer in time when a lock outlasts the timeout, records nothing, and takes a new click after', async () => {
    const card = await pendingCard();
    const proposal = await proposalOn(card.ts);
    const lock = lockProposalsTable();
    await lock.taken;
    await click(people.approvers[0], card.ts, 'approve');
    const told = await waitFor(toldTo(people.approvers[0], /did not answer in time/i), {
      what: 'the timeout message',
      timeoutMs: LOCK_TIMEOUT_MS * 4,
    });
    expect(blockText(told)).toMatch(/nothing was approved or rejected, and nothing ran/i);
    await lock.release();
    await new Promise((r) => setTimeout(r, 500));
    expect((await proposalOn(card.ts)).state).toBe('pending');
    expect(await decisionsOn(proposal.id)).toEqual({ approvals: [], events: [] });
    expect(emulator.ephemerals(people.approvers[0])).toHaveLength(1);

    await click(people.approvers[0], card.ts, 'approve');
    await waitFor(toldTo(people.approvers[0], /1 of 2/), { what: 'the approval counted' });
  });

  it('tells whoever asked for a kill that the switch is not engaged when the database does not answer in time', async () => {
    await pendingCard();
    const lock = lockProposalsTable();
    await lock.taken;
    const ack = await emulator.sendCommand({
      user: people.outsider,
      channel,
      text: 'kill triage lock drill',
    });
    expect(ack.status).toBe(200);
    expect(ack.ackMs).toBeLessThan(3_000);
    const told = await waitFor(
      () => emulator.responseUrlPosts().find((p) => /did not answer in time/i.test(JSON.stringify(p.body))),
      { what: 'the timeout message', timeoutMs: LOCK_TIMEOUT_MS * 4 },
    );
    expect(JSON.stringify(told.body)).toMatch(/kill switch is not engaged/i);
    await lock.release();
    await new Promise((r) => setTimeout(r, 500));
    expect(await readKillState({ db: database.db, agent: 'triage' })).toMatchObject({ engaged: false });
    expect(emulator.messages(channel).filter((m) => /lock drill/.test(blockText(m)))).toEqual([]);

    await emulator.sendCommand({ user: people.outsider, channel, text: 'kill triage lock drill' });
    await waitFor(async () => (await readKillState({ db: database.db, agent: 'triage' })).engaged, {
      what: 'the kill switch engaged',
    });
  });
});
