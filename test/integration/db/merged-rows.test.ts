import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, proposals, runs } from '../../../src/app/schema.ts';
import { eventRowOf, insertEventStatement } from '../../../src/audit/audit.insert.ts';
import { insertDecisionUnlessStoppedPart } from '../../../src/breakers/decision-unless-stopped.ts';
import { createBatch, writePart } from '../../../src/db/batch.ts';
import { PipelineStatementError, type PipelineTx, type RunPipelined } from '../../../src/db/pipeline.ts';
import { compileStatement, type Statement } from '../../../src/db/prepared.ts';
import { createSharedPipeline } from '../../../src/db/shared-pipeline.ts';
import { insertProposalPart } from '../../../src/proposals/proposals.insert.ts';
import type { NewProposal } from '../../../src/proposals/proposals.repository.ts';
import { addToRunCountersStatement } from '../../../src/runs/runs.repository.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';

const at = new Date('2026-12-07T10:00:00.000Z');

/** A proposal with a value in every column a decision fills, each differing between members. */
const proposalOf = (n: number, agent: string, runId: string | null = null): NewProposal => ({
  id: `prp_merged_${n}`,
  runId,
  agent,
  tool: 'scale_service',
  args: { service: `checkout-${n}`, replicas: n },
  environment: 'production',
  charterHash: `charter-${n}`,
  actionHash: `action-${n}`,
  state: n % 2 ? 'denied' : 'pending',
  decision: n % 2 ? 'deny' : 'needs_approval',
  reasonCode: `reason-${n}`,
  reason: `Reason ${n}.`,
  rule: n % 2 ? null : `rule-${n}`,
  approvalsRequired: n,
  approvalSpec: n % 2 ? null : { count: n, from: ['sre'] },
  requester: `U${n}`,
  incidentId: `INC-${n}`,
  source: 'planner',
  rationale: `because ${n}`,
  evidence: { seen: [n] },
  tainted: n % 2 === 1,
  idempotencyKey: `idem_${n}`,
  createdAt: new Date(at.getTime() + n),
  expiresAt: n % 2 ? null : new Date(at.getTime() + 60_000 * n),
  decidedAt: n % 2 ? new Date(at.getTime() + n) : null,
});

const eventOf = (proposal: NewProposal) => ({
  at: new Date(at.getTime() + 7),
  actor: `agent:${proposal.agent}`,
  action: 'proposal.decided',
  agent: proposal.agent,
  environment: proposal.environment,
  decision: proposal.decision,
  reasonCode: proposal.reasonCode,
  charterHash: proposal.charterHash,
  runId: proposal.runId ?? null,
  incidentId: proposal.incidentId ?? null,
  proposalId: proposal.id,
  details: { tool: proposal.tool, n: proposal.approvalsRequired },
});

/** `pipelined`, counting the statements each step sends, by their first words. */
function counting(pipelined: RunPipelined) {
  const sent: string[] = [];
  const note = (statements: Statement[]) => {
    for (const s of statements) sent.push(compileStatement(s).text.slice(0, 30));
    return statements;
  };
  const run: RunPipelined = (work) =>
    pipelined((tx) => {
      const seen: PipelineTx = {
        send: (s) => tx.send(note(s)),
        sendAndCommit: (s) => tx.sendAndCommit(note(s)),
        sendCommitAndRead: (s, reads) => tx.sendCommitAndRead(note(s), reads),
      };
      return work(seen);
    });
  return { run, sent };
}

/**
 * Rows of members of a shared step are written by one statement per shape (`shared-step.ts`): each member
 * still writes, and reads back, exactly the row its own statement would, column for column.
 */
describe.each(databaseKinds)('rows of a shared step merged into one statement (%s)', (kind) => {
  const database = useTestDatabase(kind);
  let pipeline: ReturnType<typeof counting>;
  let shared: ReturnType<typeof createSharedPipeline>;
  beforeEach(() => {
    pipeline = counting(database.pipelined);
    shared = createSharedPipeline({ pipelined: pipeline.run });
  });
  const stored = async () => {
    const rows = await database.db.select().from(proposals).orderBy(proposals.id);
    const events = await database.db.select().from(auditEvents).orderBy(auditEvents.proposalId);
    return { rows, events };
  };

  it('inserts each proposal unless its agent is killed, and its event only with it', async () => {
    await database.db.execute(sql`insert into kill_switches (scope, engaged) values ('agent:stopped', true)`);
    const wanted = [proposalOf(1, 'triage'), proposalOf(2, 'stopped'), proposalOf(3, 'ops')];
    const read = await Promise.all(
      wanted.map((proposal) =>
        shared.run({
          keys: [],
          work: async (tx) => {
            const batch = createBatch();
            const event = eventRowOf(eventOf(proposal));
            const decided = batch.add(
              insertDecisionUnlessStoppedPart({ proposal, events: [event], breakersClosed: false }),
            );
            return decided.read(await tx.sendAndCommit(batch.statements));
          },
        }),
      ),
    );
    // One statement for the three: each proposal with its event.
    expect(pipeline.sent).toEqual([expect.stringMatching(/^with v as \(select \* from/)]);
    expect(read.map((r) => r?.proposal.id ?? null)).toEqual(['prp_merged_1', null, 'prp_merged_3']);
    const { rows, events } = await stored();
    for (const [i, proposal] of [wanted[0]!, wanted[2]!].entries()) {
      expect(rows[i]).toMatchObject(proposal);
      expect(read[i * 2]?.proposal).toEqual(rows[i]);
      expect(events[i]).toMatchObject(eventOf(proposal));
      expect(read[i * 2]?.events).toEqual([{ id: events[i]?.id, ...eventOf(proposal) }]);
    }
    expect(rows).toHaveLength(2);
    expect(events).toHaveLength(2);
  });

  it('inserts each proposal and its event, and adds each run’s own counts to it', async () => {
    const ids = ['run_1', 'run_2', 'run_3'];
    for (const id of ids) {
      await database.db.insert(runs).values({
        id,
        agent: 'ops',
        charterHash: 'h',
        requester: 'U1',
        state: 'running',
        startedAt: at,
        toolCalls: 5,
      });
    }
    const wanted = ids.map((id, i) => proposalOf(i + 4, 'ops', id));
    const read = await Promise.all(
      wanted.map((proposal, i) =>
        shared.run({
          keys: [],
          work: async (tx) => {
            const batch = createBatch();
            const inserted = batch.add(insertProposalPart({ proposal }));
            const change = { id: ids[i]!, toolCalls: i + 1, tokens: 10 * (i + 1), denied: i };
            batch.add(writePart('run', addToRunCountersStatement(change)));
            batch.add(writePart('audit', insertEventStatement(eventRowOf(eventOf(proposal)))));
            return inserted.read(await tx.sendAndCommit(batch.statements));
          },
        }),
      ),
    );
    for (const start of ['insert into "proposals"', 'update "runs"', 'insert into audit_events']) {
      expect(pipeline.sent.filter((s) => s.startsWith(start))).toHaveLength(1);
    }
    const { rows, events } = await stored();
    expect(rows).toEqual(read);
    for (const [i, proposal] of wanted.entries()) {
      expect(rows[i]).toMatchObject(proposal);
      expect(events[i]).toMatchObject(eventOf(proposal));
    }
    const counters = await database.db.select().from(runs).orderBy(runs.id);
    expect(counters.map((r) => [r.toolCalls, r.tokensUsed, r.deniedCount])).toEqual([
      [6, 10, 0],
      [7, 20, 1],
      [8, 30, 2],
    ]);
  });

  it('fails only the member whose row failed, after the others were decided again alone', async () => {
    // Member 2's proposal is already there: its insert fails, and with it the statement of all three.
    await database.db.insert(proposals).values(proposalOf(2, 'ops'));
    let attempts = 0;
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map((n) =>
        shared.run({
          keys: [],
          work: async (tx) => {
            attempts += 1;
            const batch = createBatch();
            const inserted = batch.add(insertProposalPart({ proposal: proposalOf(n, 'ops') }));
            return inserted.read(await tx.sendAndCommit(batch.statements));
          },
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const error = (outcomes[1] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(PipelineStatementError);
    expect((error as PipelineStatementError).index).toBe(0);
    // Once merged (failed for all), then each again alone.
    expect(pipeline.sent.filter((s) => s.startsWith('insert into "proposals"'))).toHaveLength(4);
    expect(attempts).toBe(6);
    const { rows } = await stored();
    expect(rows.map((r) => r.id)).toEqual(['prp_merged_1', 'prp_merged_2', 'prp_merged_3']);
  });
});
