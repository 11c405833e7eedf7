import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, auditMirror, runs } from '../../../src/db/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import {
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

describe('Slack: the audit thread mirror', () => {
  let database: TestDatabase;
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    database = await createTestDatabase('pglite');
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({ database, emulator, apiUrl: started.apiUrl, instanceId: 'mirror-a' });
    emulator.setWardenUrl(warden.url);
  });
  afterEach(async () => {
    await stopWarden(warden);
    await emulator.stop();
    await database.drop();
  });

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
    expect(seqs).toEqual(events.map((e) => e.seq).sort((x, y) => x - y));
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
});
