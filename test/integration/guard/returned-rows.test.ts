import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { proposals } from '../../../src/app/schema.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { opsIncidentRead, testCharters } from './fixtures.ts';

/**
 * The proposal the guard hands back is the row as stored: a decision's statement returns the row it
 * inserted, and the finish of a success returns the settled row as JSON (`oneStatementOf`). Compared column
 * by column with a fresh read of the table. The JSON columns come back in jsonb's key order, which what
 * people read shows (a run's summary lists each read's arguments in it): a copy rebuilt from the insert's
 * own values (tried in stop 41) had the caller's order instead.
 */
describe.each(databaseKinds)('the proposal a call returns (%s)', (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: testCharters() }) });
  const stored = async (id: string) =>
    (await services.db.select().from(proposals).where(eq(proposals.id, id)))[0];

  it('is the stored row for a call denied whatever the state', async () => {
    const outcome = await services.guard.propose({
      ...opsIncidentRead,
      args: { zeta: 'last', incident_id: 'INC-123', alpha: { b: 2, a: [1, 'two'] } },
      environment: 'nowhere',
    });
    expect(outcome.decision.decision).toBe('deny');
    const row = await stored(outcome.proposal.id);
    expect(outcome.proposal).toEqual(row);
    // In the stored order (jsonb's: shorter keys first), not the caller's.
    expect(Object.keys(outcome.proposal.args)).toEqual(Object.keys(row?.args ?? {}));
    expect(Object.keys(outcome.proposal.args)).toEqual(['zeta', 'alpha', 'incident_id']);
    expect(outcome.proposal.decidedAt).toBeInstanceOf(Date);
  });

  it('is the stored row for an allowed read: as claimed, and as settled by its finish', async () => {
    const outcome = await services.guard.propose(opsIncidentRead);
    expect(outcome.execution?.status).toBe('succeeded');
    const row = await stored(outcome.proposal.id);
    expect(row).toMatchObject({ state: 'succeeded' });
    expect(outcome.execution?.proposal).toEqual(row);
    expect(outcome.execution?.proposal?.finishedAt).toBeInstanceOf(Date);
    // The decision's copy is the row as its claim stored it: what the finish changed aside, the same.
    expect(outcome.proposal).toMatchObject({ state: 'executing', result: null, finishedAt: null });
    expect({
      ...outcome.proposal,
      state: row?.state,
      result: row?.result,
      finishedAt: row?.finishedAt,
    }).toEqual(row);
  });
});
