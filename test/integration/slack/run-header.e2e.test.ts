import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { validateBlocks } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  people,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

describe.each(databaseKinds)('Slack: the run message tells how the run ended, on %s', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeEach(async () => {
    ({ emulator, warden } = await startSlack({ database, instanceId: 'header-a' }));
  });
  afterEach(() => stopSlack({ emulator, warden }));

  const channel = people.incidents;

  /** Starts a triage and returns its run once it has ended. */
  async function triageUntilEnded(incidentId: string) {
    const ack = await emulator.sendCommand({ user: people.oncall, channel, text: `triage ${incidentId}` });
    expect(ack.status).toBe(200);
    return waitFor(
      async () => {
        const [row] = await warden.services.db.select().from(runs).where(eq(runs.incidentId, incidentId));
        return row && row.state !== 'running' ? row : undefined;
      },
      { what: `the run on ${incidentId} to end`, timeoutMs: 60_000 },
    );
  }

  /** The top-level message the run's thread hangs under, once it reads as `check` wants. */
  function headerWhen(threadTs: string, check: (text: string) => boolean, what: string) {
    return waitFor(
      () => {
        // A failed update is retried after a back-off on Warden's clock; let it move.
        warden.services.clock.advance(2_000);
        const header = emulator.messages(channel).find((m) => m.ts === threadTs && m.threadTs === null);
        return header && check(blockText(header)) ? header : undefined;
      },
      { what, timeoutMs: 60_000 },
    );
  }

  it('replaces "working on" with how the run ended and what waits for whom, even after a failed update', async () => {
    emulator.failNext({ method: 'chat.update', error: 'internal_error', times: 1 });
    const run = await triageUntilEnded('INC-123');
    expect(run.state).toBe('completed');
    const header = await headerWhen(
      run.slackThreadTs!,
      (text) => text.includes('finished on') && text.includes('wait for approval'),
      'the run message in its end state',
    );
    const text = blockText(header);
    expect(text).not.toContain('working on');
    expect(text).toContain('triage finished on INC-123');
    expect(text).toMatch(/\d proposals? waits? for approval from sre-approvers/);
    expect(validateBlocks(header.blocks)).toEqual([]);
  });

  it('says in the channel, not only in the thread, that an unknown incident does not exist', async () => {
    const run = await triageUntilEnded('INC-999');
    const header = await headerWhen(
      run.slackThreadTs!,
      (text) => text.includes('There is no incident'),
      'the run message saying there is no such incident',
    );
    expect(header.text).toContain('There is no incident INC-999');
    expect(blockText(header)).not.toContain('working on');
    expect(validateBlocks(header.blocks)).toEqual([]);
  });
});
