import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvals, proposals, runs } from '../../../src/app/schema.ts';
import { findCardsToSync, markCardFailed, recordCard } from '../../../src/slack/sync/cards.repository.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';

const T0 = new Date('2026-11-30T10:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe.each(databaseKinds)('which proposal cards the Slack sync posts or updates (%s)', (kind) => {
  let database: TestDatabase;
  let n = 0;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await database.db.insert(runs).values({
      id: 'run_t',
      agent: 'triage',
      charterHash: 'h',
      requester: 'U1',
      state: 'succeeded',
      slackChannel: 'C1',
      slackThreadTs: '1700000000.000100',
      startedAt: T0,
      endedAt: T0,
    });
  });
  afterAll(async () => {
    await database.drop();
  });

  /** A proposal of the threaded run, made at T0 (plus `n` ms so they keep their order). */
  async function proposal(fields: Partial<typeof proposals.$inferInsert> = {}) {
    n += 1;
    const id = `prp_${kind}_${n}`;
    await database.db.insert(proposals).values({
      id,
      runId: 'run_t',
      agent: 'triage',
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'staging',
      charterHash: 'h',
      actionHash: 'a',
      state: 'succeeded',
      decision: 'allow',
      reasonCode: 'allowed',
      reason: 'Allowed by the charter.',
      requester: 'U1',
      source: 'planner',
      idempotencyKey: `idem_${id}`,
      createdAt: at(n),
      ...fields,
    });
    return id;
  }
  const due = async (now: Date, limit = 20) =>
    (await findCardsToSync({ db: database.db, now, limit })).map((p) => p.id);

  it('lists cards not posted yet and cards whose proposal moved on, not cards in line', async () => {
    const fresh = await proposal();
    const inLine = await proposal({ slackChannel: 'C1', slackTs: '1.1', slackCardKey: 'succeeded:0' });
    const movedOn = await proposal({ slackChannel: 'C1', slackTs: '1.2', slackCardKey: 'pending:0' });
    const pending = await proposal({
      state: 'pending',
      slackChannel: 'C1',
      slackTs: '1.3',
      slackCardKey: 'pending:0',
    });
    const approved = await proposal({
      state: 'pending',
      slackChannel: 'C1',
      slackTs: '1.4',
      slackCardKey: 'pending:0',
    });
    await database.db.insert(approvals).values({
      id: `apr_${kind}`,
      proposalId: approved,
      approver: 'U2',
      decision: 'approve',
      actionHash: 'a',
      groups: ['approvers'],
      createdAt: T0,
    });
    const listed = await due(at(60_000));
    expect(listed).toEqual(expect.arrayContaining([fresh, movedOn, approved]));
    expect(listed).not.toContain(inLine);
    expect(listed).not.toContain(pending);
    // Once the card shows what is true, it leaves the list.
    for (const id of [fresh, movedOn])
      await recordCard({ db: database.db, proposalId: id, channel: 'C1', ts: `9.${id}`, key: 'succeeded:0' });
    await recordCard({ db: database.db, proposalId: approved, channel: 'C1', ts: '1.4', key: 'pending:1' });
    expect(await due(at(60_000))).toEqual([]);
  });

  it('a card that failed waits for its retry (1 s, then 2 s…) and never holds up the others', async () => {
    const failing: string[] = [];
    for (let i = 0; i < 25; i++)
      failing.push(await proposal({ slackChannel: 'C1', slackTs: `2.${i}`, slackCardKey: 'pending:0' }));
    const later = await proposal({ slackChannel: 'C1', slackTs: '2.99', slackCardKey: 'pending:0' });
    const now = at(120_000);
    expect(await due(now)).toEqual(failing.slice(0, 20));
    for (const id of failing) await markCardFailed({ db: database.db, proposalId: id, posting: false, now });
    // More failing cards than a page, all waiting: the next card is still reached.
    expect(await due(now)).toEqual([later]);
    expect(await due(at(120_999))).toEqual([later]);
    expect(await due(at(121_000))).toEqual(failing.slice(0, 20));
    await markCardFailed({ db: database.db, proposalId: failing[0]!, posting: false, now: at(121_000) });
    const [row] = await database.db.select().from(proposals).where(eq(proposals.id, failing[0]!));
    expect(row).toMatchObject({ slackCardAttempts: 2, slackCardRetryAt: at(123_000) });
    // An update that goes through clears the back-off.
    await recordCard({
      db: database.db,
      proposalId: failing[0]!,
      channel: 'C1',
      ts: '2.0',
      key: 'succeeded:0',
    });
    const [done] = await database.db.select().from(proposals).where(eq(proposals.id, failing[0]!));
    expect(done).toMatchObject({ slackCardAttempts: 0, slackCardRetryAt: null });
  });

  it('a first post that failed frees the card to be posted again, after its retry time', async () => {
    const id = await proposal({ slackTs: 'posting' });
    await markCardFailed({ db: database.db, proposalId: id, posting: true, now: at(200_000) });
    const [row] = await database.db.select().from(proposals).where(eq(proposals.id, id));
    expect(row).toMatchObject({
      slackTs: null,
      slackChannel: null,
      slackCardKey: null,
      slackCardAttempts: 1,
    });
    expect(await due(at(200_500), 100)).not.toContain(id);
    expect(await due(at(201_000), 100)).toContain(id);
  });
});
