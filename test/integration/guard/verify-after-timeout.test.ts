import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { auditEvents, proposals } from '../../../src/app/schema.ts';
import { wireGuard } from '../../../src/app/services.ts';
import { defineTool, type ToolDefinition, type VerifiedEffect } from '../../../src/tools/define.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { people, testCharters } from './fixtures.ts';

/**
 * A `create_ticket` stand-in on a remote system that answers too late: its effect lands (or not) while the
 * guard's timeout fires. `verify` looks the key up afterwards, as a real tool does by its annotation.
 */
function slowRemoteTicket({ lands, verifies }: { lands: boolean; verifies: 'yes' | 'throws' | 'unsure' }) {
  const filed = new Map<string, string>();
  const tool: ToolDefinition = defineTool({
    name: 'create_ticket',
    description: 'File a ticket on a slow remote tracker.',
    input: z.strictObject({ title: z.string(), body: z.string(), severity: z.string() }),
    kind: 'write',
    risk: 'low',
    reversible: true,
    idempotent: true,
    execute: async (args, context) => {
      if (lands) filed.set(context.idempotencyKey, `TKT-${filed.size + 1}: ${args.title}`);
      // The answer never comes before the guard's timeout, which aborts the wait as it would a request.
      await sleep(30_000, undefined, { signal: context.signal });
      return { summary: 'late', data: {} };
    },
    verify: async (_args, context): Promise<VerifiedEffect> => {
      if (verifies === 'throws') throw new Error('tracker unreachable');
      if (verifies === 'unsure') return { effect: 'unknown', summary: 'the tracker does not say' };
      const ticket = filed.get(context.idempotencyKey);
      return ticket
        ? { effect: 'present', result: { summary: `Filed ${ticket}`, data: { ticket } } }
        : { effect: 'absent', summary: 'no ticket carries this proposal’s key' };
    },
  });
  return { tool, filed };
}

describe.each(databaseKinds)('a write whose call timed out (%s)', (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: testCharters() }) });

  async function propose(tool: ToolDefinition) {
    const { guard } = wireGuard({
      ...services,
      pipelined: services.database.pipelined,
      tools: [tool],
      instanceId: 'verify-test',
      executionTimeoutMs: 300,
    });
    const decided = await guard.propose({
      agent: 'ops',
      tool: 'create_ticket',
      args: { title: 'Checkout errors', body: 'evidence', severity: 'sev2' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, decided.proposal.id));
    const events = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.proposalId, decided.proposal.id))
      .orderBy(auditEvents.seq);
    return { decided, row, actions: events.map((e) => e.action), events };
  }

  it('is settled as succeeded when the tool finds its effect by the key', async () => {
    const { tool, filed } = slowRemoteTicket({ lands: true, verifies: 'yes' });
    const { decided, row, actions, events } = await propose(tool);
    expect(filed.size).toBe(1);
    expect(decided.execution).toMatchObject({
      status: 'succeeded',
      result: { summary: 'Filed TKT-1: Checkout errors' },
    });
    expect(row).toMatchObject({ state: 'succeeded', stateReason: 'verified_after_timeout' });
    expect(actions.slice(-2)).toEqual(['execution.outcome_unknown', 'execution.verified']);
    expect(events.at(-1)).toMatchObject({
      reasonCode: 'verified_after_timeout',
      details: { effect: 'present' },
    });
  });

  it('is settled as failed, nothing changed, when the effect is not there', async () => {
    const { tool, filed } = slowRemoteTicket({ lands: false, verifies: 'yes' });
    const { decided, row, actions } = await propose(tool);
    expect(filed.size).toBe(0);
    expect(decided.execution).toMatchObject({ status: 'failed', reasonCode: 'verified_no_effect' });
    expect(row).toMatchObject({ state: 'failed', stateReason: 'verified_no_effect' });
    expect(row?.error).toContain('no ticket carries');
    expect(actions.at(-1)).toBe('execution.verified');
  });

  it.each(['throws', 'unsure'] as const)('stays unknown when the check %s', async (verifies) => {
    const { tool } = slowRemoteTicket({ lands: true, verifies });
    const { decided, row, actions } = await propose(tool);
    expect(decided.execution).toMatchObject({ status: 'outcome_unknown' });
    expect(row).toMatchObject({ state: 'outcome_unknown' });
    expect(actions.at(-1)).toBe('execution.outcome_unknown');
  });
});
