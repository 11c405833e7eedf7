import { and, eq, ne } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  approvals,
  auditEvents,
  proposals,
  sandboxChanges,
  sandboxServices,
} from '../../../src/app/schema.ts';
import { wireGuard } from '../../../src/app/services.ts';
import { createInFlightRegistry } from '../../../src/breakers/in-flight.ts';
import { GLOBAL_SCOPE, setKillSwitch } from '../../../src/breakers/kill-switch.repository.ts';
import type { CredentialBroker } from '../../../src/tools/broker.ts';
import type { ExecutionOutcome } from '../../../src/tools/execute.ts';
import { createSandboxTools } from '../../../src/tools/sandbox/sandbox.tools.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { type TestServices, useTestServices } from '../../helpers/services.ts';
import { approverFor, people, testCharters } from './fixtures.ts';

/** Something that happens to the database between the claim's commit and the executor's start. */
type Tamper = (input: { services: TestServices; proposalId: string }) => Promise<unknown>;

/**
 * The guard and approvals built as the composition root builds them, except that the broker changes the
 * database right after it minted the credential: the moment between the claim and the executor, where
 * only the executor's last check (`assertExecutionAuthorised`) stands. The in-flight registry is one no
 * kill notification reaches, so only that check can stop the call.
 */
function guardWithTamper({ services, tamper }: { services: TestServices; tamper: Tamper }) {
  const { db, clock, redactor } = services;
  const tools = createSandboxTools({ db, broker: services.broker, clock, redactor });
  const broker: CredentialBroker = {
    ...services.broker,
    mint: async (input) => {
      const lease = await services.broker.mint(input);
      await tamper({ services, proposalId: input.proposalId });
      return lease;
    },
  };
  return wireGuard({
    ...services,
    pipelined: services.database.pipelined,
    broker,
    tools,
    inFlight: createInFlightRegistry(),
    instanceId: services.config.instanceId,
    executionTimeoutMs: 10_000,
  });
}

const setProposal =
  (changes: Partial<typeof proposals.$inferInsert>): Tamper =>
  ({ services, proposalId }) =>
    services.db.update(proposals).set(changes).where(eq(proposals.id, proposalId));

/**
 * Each case goes through an approval and `guard.execute`, the path every approved action takes (the
 * allow path may claim in the deciding transaction, where the database must not be touched from outside).
 */
const cases: { what: string; code: string; tamper: Tamper }[] = [
  {
    what: 'the row is claimed by another instance',
    code: 'tools.not_authorised',
    tamper: setProposal({ executedBy: 'some-other-instance' }),
  },
  {
    what: 'the row is no longer executing',
    code: 'tools.not_authorised',
    tamper: setProposal({ state: 'cancelled' }),
  },
  {
    what: 'the approvals are gone',
    code: 'tools.not_authorised',
    tamper: ({ services, proposalId }) =>
      services.db.delete(approvals).where(eq(approvals.proposalId, proposalId)),
  },
  {
    what: 'the arguments changed after the decision',
    code: 'tools.not_authorised',
    tamper: setProposal({ args: { service: 'search' } }),
  },
  {
    what: 'the recorded decision is neither allow nor needs_approval',
    code: 'tools.not_authorised',
    tamper: setProposal({ decision: 'deny' }),
  },
  {
    what: 'the kill switch was engaged',
    code: 'kill_switch',
    // Straight in the table, as another instance's kill does before anything reaches this one.
    tamper: ({ services }) =>
      services.db.transaction((tx) =>
        setKillSwitch({
          tx,
          scope: GLOBAL_SCOPE,
          engaged: true,
          actor: people.outsider,
          reason: 'stop',
          now: services.clock.now(),
        }),
      ),
  },
];

describe.each(databaseKinds)("the executor's last check before the tool runs (%s)", (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: testCharters() }) });

  const checkout = async () => {
    const [row] = await services.db
      .select()
      .from(sandboxServices)
      .where(and(eq(sandboxServices.environment, 'production'), eq(sandboxServices.name, 'checkout')));
    return row!;
  };

  /** The changes sandbox tools made (the world's seed is recorded there too). */
  const toolChanges = () =>
    services.db.select().from(sandboxChanges).where(ne(sandboxChanges.tool, 'seed_world'));

  /** Proposes the tool for `ops` in production and, for restart_service, approves it: runs it once. */
  async function runOnce({ tool, tamper }: { tool: string; tamper: Tamper }): Promise<ExecutionOutcome> {
    const { guard, approvals: approve } = guardWithTamper({ services, tamper });
    const proposed = await guard.propose({
      agent: 'ops',
      tool,
      args: tool === 'scale_service' ? { service: 'checkout', replicas: 9 } : { service: 'checkout' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    if (proposed.execution) return proposed.execution;
    expect(proposed.decision.decision).toBe('needs_approval');
    const approved = await approve.decideOnProposal({
      proposalId: proposed.proposal.id,
      approver: approverFor(services.charters.get('ops')!, people.approver1),
      decision: 'approve',
    });
    if (approved.outcome !== 'approved') throw new Error(`not approved: ${approved.outcome}`);
    return approved.execution;
  }

  it('runs the tool when nothing changed between the claim and the run', async () => {
    for (const tool of ['scale_service', 'restart_service']) {
      const outcome = await runOnce({ tool, tamper: async () => {} });
      expect(outcome.status).toBe('succeeded');
    }
    expect((await toolChanges()).map((c) => c.tool)).toEqual(['scale_service', 'restart_service']);
  });

  it.each(cases)('refuses when $what, and the tool never runs', async ({ code, tamper }) => {
    const before = await checkout();
    const outcome = await runOnce({ tool: 'restart_service', tamper });
    expect(outcome).toMatchObject({ status: 'failed', reasonCode: code });
    const id = outcome.proposal!.id;

    // Nothing reached the sandbox: no change recorded under the key, the service as it was.
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, id));
    expect(
      await services.db
        .select()
        .from(sandboxChanges)
        .where(eq(sandboxChanges.idempotencyKey, row!.idempotencyKey)),
    ).toEqual([]);
    expect(await toolChanges()).toEqual([]);
    expect(await checkout()).toEqual(before);

    const events = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.proposalId, id))
      .orderBy(auditEvents.seq);
    // Behaviour alerts (a write in an environment new to the agent) name the proposal too, and may land last.
    const executionEvents = events.filter((e) => e.action.startsWith('execution.'));
    expect(executionEvents.at(-1)).toMatchObject({ action: 'execution.failed', reasonCode: code });
    expect(events.map((e) => e.action)).not.toContain('execution.succeeded');
  });
});
