import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, auditMirror, proposals, runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { useTestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  people,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

describe('Slack: the audit thread mirror', () => {
  const database = useTestDatabase('pglite');
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({ database, instanceId: 'mirror-a' }));
  });
  afterEach(() => stopSlack({ emulator, warden }));

  it('loses no event when Slack fails and rate-limits posts: every event reaches the thread once, in order, with its link stored, and no call comes before Retry-After', async () => {
    await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-124' });
    await waitFor(async () => (await warden.services.db.select().from(runs))[0]?.slackThreadTs, {
      what: 'the thread',
    });
    // From here on Slack fails some posts outright and rate-limits others.
    emulator.failNext({ method: 'chat.postMessage', error: 'internal_error', times: 3 });
    emulator.rateLimitNext({ method: 'chat.postMessage', times: 2, retryAfterSeconds: 1 });
    const run = await waitFor(
      async () => {
        const [row] = await warden.services.db.select().from(runs);
        return row && row.state !== 'running' ? row : undefined;
      },
      { what: 'the run to finish', timeoutMs: 30_000 },
    );
    await warden.services.audit.linkNow();
    const events = await warden.services.db.select().from(auditEvents).where(eq(auditEvents.runId, run.id));
    const thread = await waitFor(
      () => {
        // Failed posts are retried after a back-off on Warden's clock; let it move.
        warden.services.clock.advance(2_000);
        const replies = emulator.thread(people.incidents, run.slackThreadTs!);
        return replies.filter((r) => /`#\d+`/.test(JSON.stringify(r.blocks))).length >= events.length
          ? replies
          : undefined;
      },
      { what: 'every event in the thread', timeoutMs: 30_000 },
    );
    const seqs = thread
      .map((r) => /`#(\d+)`/.exec(JSON.stringify(r.blocks))?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number);
    expect(seqs).toEqual(events.map((e) => e.seq!).sort((x, y) => x - y));
    // People are mentioned (Slack shows their names); actors that are not people stay text.
    const lines = thread.map((r) => JSON.stringify(r.blocks));
    expect(lines.some((l) => l.includes(`<@${people.oncall}> started triage on INC-124`))).toBe(true);
    expect(lines.some((l) => l.includes('triage looked at'))).toBe(true);
    expect(lines.join('\n')).not.toContain('UTC');
    // The link is stored right after the post; every event of the run ends up posted with its permalink.
    const mirrored = await waitFor(
      async () => {
        const rows = (await warden.services.db.select().from(auditMirror)).filter((m) =>
          events.some((e) => e.seq === m.seq),
        );
        return rows.length === events.length && rows.every((m) => m.status === 'posted' && m.permalink)
          ? rows
          : undefined;
      },
      { what: 'every mirror row posted with its link' },
    );
    expect(mirrored).toHaveLength(events.length);
    expect(new Set(seqs).size).toBe(seqs.length);
    // Warden waited out each Retry-After before calling again, and both rate limits were served.
    expect(emulator.earlyRetries()).toEqual([]);
    expect(emulator.calls('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(2);
  });

  /** Starts a triage run in `channel` and waits until its run message (the thread) is posted. */
  async function startRun(channel: string, incident: string) {
    const before = new Set((await warden.services.db.select().from(runs)).map((r) => r.id));
    await emulator.sendCommand({ user: people.oncall, channel, text: `triage ${incident}` });
    return waitFor(
      async () =>
        (await warden.services.db.select().from(runs)).find((r) => !before.has(r.id) && r.slackThreadTs),
      { what: `the thread of the run in ${channel}` },
    );
  }

  async function finished(runId: string) {
    return waitFor(
      async () => {
        const [row] = await warden.services.db.select().from(runs).where(eq(runs.id, runId));
        return row && row.state !== 'running' ? row : undefined;
      },
      { what: 'the run to finish', timeoutMs: 30_000 },
    );
  }

  /** Waits until every audit event of the run is in its thread (moving Warden's clock for retries). */
  async function wholeThread(run: { id: string; slackChannel: string | null; slackThreadTs: string | null }) {
    await warden.services.audit.linkNow();
    const events = await warden.services.db.select().from(auditEvents).where(eq(auditEvents.runId, run.id));
    const thread = await waitFor(
      () => {
        warden.services.clock.advance(2_000);
        const replies = emulator.thread(run.slackChannel!, run.slackThreadTs!);
        const seqs = replies
          .map((r) => /`#(\d+)`/.exec(JSON.stringify(r.blocks))?.[1])
          .filter((x): x is string => x !== undefined)
          .map(Number);
        return seqs.length >= events.length ? seqs : undefined;
      },
      { what: `every event of ${run.id} in its thread`, timeoutMs: 30_000 },
    );
    expect(thread).toEqual(events.map((e) => e.seq!).sort((x, y) => x - y));
  }

  it('gives up the replies of a thread Slack refuses for good (archived channel), once each, and goes on with the other threads', async () => {
    const refused = await startRun(people.alerts, 'INC-124');
    emulator.failNext({
      method: 'chat.postMessage',
      error: 'is_archived',
      times: 10_000,
      channel: people.alerts,
    });
    await finished(refused.id);
    const ok = await startRun(people.incidents, 'INC-124');
    await finished(ok.id);
    await wholeThread(ok);
    // Every event of the refused run linked (a mirror row is keyed by the event's seq).
    await warden.services.audit.linkNow();
    const events = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.runId, refused.id));
    const rows = await waitFor(
      async () => {
        const all = (await warden.services.db.select().from(auditMirror)).filter((m) =>
          events.some((e) => e.seq === m.seq),
        );
        return all.length === events.length &&
          all.every((m) => m.status === 'posted' || m.status === 'failed')
          ? all
          : undefined;
      },
      { what: 'every reply of the refused thread posted (before the archive) or given up' },
    );
    // Each refused one was tried once: Slack said no for good, so it is not retried (it stays in Postgres).
    const refusedRows = rows.filter((m) => m.status === 'failed');
    expect(refusedRows.length).toBeGreaterThan(10);
    expect(refusedRows.every((m) => m.attempts === 1 && m.lastError?.includes('is_archived'))).toBe(true);
    const lines = emulator
      .thread(people.alerts, refused.slackThreadTs!)
      .filter((r) => /`#\d+`/.test(JSON.stringify(r.blocks)));
    expect(lines).toHaveLength(rows.length - refusedRows.length);
  });

  it('a thread Slack keeps failing holds back only itself: with more events waiting than a page, another run still gets its whole thread', async () => {
    const stuck: Awaited<ReturnType<typeof startRun>>[] = [];
    for (const incident of ['INC-124', 'INC-123', 'INC-124'])
      stuck.push(await startRun(people.alerts, incident));
    emulator.failNext({
      method: 'chat.postMessage',
      error: 'internal_error',
      times: 100_000,
      channel: people.alerts,
    });
    for (const run of stuck) await finished(run.id);
    await warden.services.audit.linkNow();
    const waiting = (await warden.services.db.select().from(auditEvents)).filter((e) =>
      stuck.some((r) => r.id === e.runId),
    );
    // More than the mirror reads in one pass (50): before, they filled every page and starved the rest.
    expect(waiting.length).toBeGreaterThan(50);
    const ok = await startRun(people.incidents, 'INC-123');
    await finished(ok.id);
    await wholeThread(ok);
    const mirrored = (await warden.services.db.select().from(auditMirror)).filter((m) =>
      waiting.some((e) => e.seq === m.seq),
    );
    // Past what was posted before Slack began failing, only each stuck thread's next reply was tried (in
    // order, with back-off); none was given up, and none is lost: they wait in Postgres.
    const tried = mirrored.filter((m) => m.status !== 'posted');
    expect(tried.length).toBeLessThanOrEqual(stuck.length);
    expect(tried.every((m) => m.status === 'pending' || m.status === 'posting')).toBe(true);
    expect(waiting.length - mirrored.length).toBeGreaterThan(40);
  });

  it('anchors the chain head again once the last action of a finished run settles, so the head covers the approvals and the rollback', async () => {
    const run = await startRun(people.incidents, 'INC-123');
    await finished(run.id);
    const ofRun = () => warden.services.db.select().from(proposals).where(eq(proposals.runId, run.id));
    const cards = await waitFor(
      async () => {
        const rows = (await ofRun()).filter((p) => p.state === 'pending');
        return rows.length > 0 && rows.every((p) => p.slackTs && p.slackTs !== 'posting') ? rows : undefined;
      },
      { what: 'the approval cards' },
    );
    // The run ended with its actions waiting: that anchor is the only one so far.
    await waitFor(() => emulator.messages(people.audit).length === 1, { what: 'the anchor of the run' });
    for (const approver of people.approvers.slice(0, 2)) {
      for (const card of cards) {
        const [now] = (await ofRun()).filter((p) => p.id === card.id);
        if (now?.state !== 'pending') continue;
        await emulator.clickButton({
          user: approver,
          channel: people.incidents,
          messageTs: card.slackTs!,
          actionId: 'proposal.approve',
        });
        await waitFor(
          async () => {
            const rows = await warden.services.db.select().from(auditEvents);
            return rows.some((e) => e.proposalId === card.id && e.actor === approver) || undefined;
          },
          { what: `the approval of ${card.tool} by ${approver}` },
        );
      }
    }
    await waitFor(
      async () => (await ofRun()).every((p) => ['succeeded', 'failed'].includes(p.state)) || undefined,
      { what: 'every action of the run to run' },
    );
    await warden.services.audit.linkNow();
    const executed = (await warden.services.db.select().from(auditEvents)).filter(
      (e) =>
        e.runId === run.id && e.action === 'execution.succeeded' && cards.some((c) => c.id === e.proposalId),
    );
    expect(executed).toHaveLength(cards.length);
    const lastSettled = Math.max(...executed.map((e) => e.seq!));
    const anchor = await waitFor(
      () => {
        warden.services.clock.advance(2_000);
        return emulator.messages(people.audit).find((m) => m.text.includes('settled its last action'));
      },
      { what: 'the anchor after the last action settled' },
    );
    expect(anchor.text).toContain(`after run ${run.id} settled its last action`);
    const seq = Number(/event #(\d+), sha256 [0-9a-f]{64} at /.exec(anchor.text)?.[1]);
    expect(seq).toBeGreaterThanOrEqual(lastSettled);
    expect(blockText(anchor)).toContain('<!date^');
    // Once: the earlier settlements of the run did not anchor, as more was pending.
    await new Promise((r) => setTimeout(r, 300));
    expect(emulator.messages(people.audit)).toHaveLength(2);
  });
});
