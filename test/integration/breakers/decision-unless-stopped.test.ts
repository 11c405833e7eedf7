import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, breakerStates, proposals } from '../../../src/app/schema.ts';
import { eventRowOf } from '../../../src/audit/audit.insert.ts';
import { insertDecisionUnlessStoppedPart } from '../../../src/breakers/decision-unless-stopped.ts';
import type { NewProposal } from '../../../src/proposals/proposals.repository.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';

const at = new Date('2026-12-07T10:00:00.000Z');

const proposalOf = (id: string, agent: string): NewProposal => ({
  id,
  runId: null,
  agent,
  tool: 'get_incident',
  args: { incident_id: 'INC-1' },
  environment: 'production',
  charterHash: 'charter',
  actionHash: `action-${id}`,
  state: 'executing',
  decision: 'allow',
  reasonCode: 'allowed',
  reason: 'Allowed.',
  requester: 'U1',
  idempotencyKey: `idem_${id}`,
  source: 'planner',
  createdAt: at,
  decidedAt: at,
});

const eventOf = (proposal: NewProposal, action: string) =>
  eventRowOf({
    at,
    actor: `agent:${proposal.agent}`,
    action,
    agent: proposal.agent,
    environment: proposal.environment,
    decision: 'allow',
    reasonCode: 'allowed',
    charterHash: proposal.charterHash,
    runId: null,
    incidentId: null,
    proposalId: proposal.id,
    details: { action },
  });

/**
 * The statement a decision made on a guess of the state is recorded with (`decision-unless-stopped.ts`):
 * with `breakersClosed`, any breaker of the agent that is not closed stops it; its events are written in
 * the order given, and read back with their ids.
 */
describe.each(databaseKinds)('a decision recorded unless the state stops it (%s)', (kind) => {
  const database = useTestDatabase(kind);

  const breaker = (agent: string, state: string) =>
    database.db.insert(breakerStates).values({ agent, breaker: 'failures', key: '*', state, updatedAt: at });
  const record = async (proposal: NewProposal, breakersClosed: boolean) => {
    const part = insertDecisionUnlessStoppedPart({
      proposal,
      events: [eventOf(proposal, 'proposal.decided'), eventOf(proposal, 'execution.started')],
      breakersClosed,
    });
    return part.read(await database.pipelined((tx) => tx.sendAndCommit(part.statements)));
  };
  const stored = async (id: string) => ({
    proposals: await database.db.select().from(proposals).where(eq(proposals.id, id)),
    events: await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.proposalId, id))
      .orderBy(asc(auditEvents.id)),
  });

  it('writes the proposal and its events in the order given, each read back with its id', async () => {
    await breaker('ops', 'closed');
    await breaker('other', 'open');
    const recorded = await record(proposalOf('prp_guess_1', 'ops'), true);
    const { proposals: rows, events } = await stored('prp_guess_1');
    expect(rows).toHaveLength(1);
    expect(recorded?.proposal).toEqual(rows[0]);
    expect(events.map((e) => e.action)).toEqual(['proposal.decided', 'execution.started']);
    expect(recorded?.events.map((e) => [e.id, e.action])).toEqual(events.map((e) => [e.id, e.action]));
  });

  it.each(['open', 'half_open'])('writes nothing when a breaker of the agent is %s', async (state) => {
    await breaker('ops', state);
    expect(await record(proposalOf('prp_guess_2', 'ops'), true)).toBeNull();
    expect(await stored('prp_guess_2')).toEqual({ proposals: [], events: [] });
  });

  it('does not look at breakers for a decision that assumed nothing of them', async () => {
    await breaker('ops', 'open');
    expect((await record(proposalOf('prp_guess_3', 'ops'), false))?.events).toHaveLength(2);
  });
});
