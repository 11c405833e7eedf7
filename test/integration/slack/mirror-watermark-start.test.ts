import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mirrorWatermarkAtStart } from '../../../src/slack/sync/sync.repository.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { createTestAuditLog, link, storedSeqs } from '../audit/audit.helpers.ts';

const HOUR = 3_600_000;

describe.each(databaseKinds)('where the thread mirror starts reading, on %s', (kind) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(kind);
  });
  afterEach(() => database.drop());

  function append(log: ReturnType<typeof createTestAuditLog>['log'], n: number) {
    return log.appendNow(database.db, {
      actor: 'warden',
      action: 'run.step',
      agent: 'triage',
      runId: `run_${n}`,
      details: { n },
    });
  }

  it('starts before the oldest event of the last two days, or at the head when there is none', async () => {
    const { log, clock } = createTestAuditLog();
    expect(await mirrorWatermarkAtStart({ db: database.db, now: clock.now() })).toBe(0);
    for (const n of [1, 2, 3]) await append(log, n);
    await link(database.db);
    clock.advance(49 * HOUR);
    // Nothing in the window: everything linked so far is too old to mirror, so start past it.
    expect(await mirrorWatermarkAtStart({ db: database.db, now: clock.now() })).toBe(3);
    for (const n of [4, 5]) await append(log, n);
    // Unlinked events are not read yet: they get their seq (past the head) when linked.
    expect(await mirrorWatermarkAtStart({ db: database.db, now: clock.now() })).toBe(3);
    await link(database.db);
    expect(await mirrorWatermarkAtStart({ db: database.db, now: clock.now() })).toBe(3);
    clock.advance(47 * HOUR);
    expect(await mirrorWatermarkAtStart({ db: database.db, now: clock.now() })).toBe(3);
    clock.advance(2 * HOUR);
    expect(await mirrorWatermarkAtStart({ db: database.db, now: clock.now() })).toBe(5);
  });

  // The CI failure this guards against: a batch of a new run's first events was linked between the two
  // reads the start used to make ("nothing in the window", then "the head is N"), so the mirror began past
  // them and the run's thread never showed them.
  it('never starts past an event linked while it reads', async () => {
    const { log, clock } = createTestAuditLog();
    const passed: { watermark: number; seq: number }[] = [];
    for (let n = 1; n <= 150; n++) {
      // Every earlier event is out of the window: only the one linked now could be in it.
      clock.advance(49 * HOUR);
      await append(log, n);
      const delay = n % 4;
      const [watermark] = await Promise.all([
        new Promise((resolve) => setTimeout(resolve, delay)).then(() =>
          mirrorWatermarkAtStart({ db: database.db, now: clock.now() }),
        ),
        link(database.db),
      ]);
      const seq = (await storedSeqs(database.db)).at(-1)!;
      if (watermark >= seq) passed.push({ watermark, seq });
    }
    expect(passed).toEqual([]);
  });
});
