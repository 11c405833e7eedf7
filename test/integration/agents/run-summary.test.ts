import { describe, expect, it } from 'vitest';
import type { PlannedProposal } from '../../../src/agents/planner.types.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import {
  people,
  readIncident,
  runAuditEvents,
  runnerFor,
  runProposals,
  scriptedPlanner,
} from './agents.helpers.ts';

const proposal = (
  over: Partial<PlannedProposal> & Pick<PlannedProposal, 'tool' | 'args'>,
): PlannedProposal => ({
  environment: 'production',
  rationale: 'Checkout errors began with v2.14.0.',
  expectedEffect: 'Errors fall.',
  rollback: 'Undo it.',
  ...over,
});
const rollback = proposal({ tool: 'rollback_deploy', args: { service: 'checkout', to_version: 'v2.13.4' } });

describe.each(databaseKinds)('the summary of a real run (%s)', { timeout: 120_000 }, (kind) => {
  const { services } = useTestServices({ kind });

  /** Runs triage on INC-123 with a planner that reads the incident, then proposes `proposals`. */
  const runProposing = async (proposals: PlannedProposal[]) => {
    const { planner } = scriptedPlanner([
      () => readIncident,
      () => ({
        kind: 'final',
        summary: 'Checkout v2.14.0 fails for legacy accounts.',
        proposals,
        tokens: 50,
      }),
    ]);
    const { run, done } = await runnerFor(services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    return { run, outcome: await done };
  };

  it.each([
    {
      what: 'a prohibited action, with the charter’s reason',
      blocked: proposal({ tool: 'scale_service', args: { service: 'checkout', replicas: 0 } }),
      reason: 'prohibited',
      line: '• `scale_service service=checkout replicas=0` in production — prohibited: scale_service in production is prohibited by the triage charter: Scaling a production service to zero replicas is an outage; do it by hand under a change ticket.',
    },
    {
      what: 'an action outside an argument limit, with the limit',
      blocked: proposal({ tool: 'scale_service', args: { service: 'checkout', replicas: 25 } }),
      reason: 'args_constraint',
      line: '• `scale_service service=checkout replicas=25` in production — args_constraint: ',
    },
  ])('names $what that the guard blocked', async ({ blocked, reason, line }) => {
    const { run, outcome } = await runProposing([rollback, blocked]);
    expect(outcome.state).toBe('completed');
    expect(outcome.proposals.map((p) => [p.tool, p.decision, p.reasonCode, p.state])).toEqual([
      ['rollback_deploy', 'needs_approval', 'needs_approval', 'pending'],
      ['scale_service', 'deny', reason, 'blocked'],
    ]);
    const [waiting, refused] = outcome.proposals;

    const lines = outcome.summary.split('\n');
    expect(lines[0]).toBe('triage on INC-123 (production): finished — 1 waiting for approval, 1 blocked.');
    // The blocked action, its reason code and the guard's words for it, under its own heading.
    const at = lines.indexOf('*Blocked*');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toContain(line);
    expect(lines[at + 1]).toContain(refused!.message);
    expect(refused!.message.length).toBeGreaterThan(20);
    // The other proposal still says who must approve it and why it was proposed.
    expect(outcome.summary).toContain(
      '*Waiting for approval* (approve or reject on each card)\n• `rollback_deploy service=checkout to_version=v2.13.4` in production — needs 2 approvals (different people, not the requester) from sre-approvers\n   _Why:_ Checkout errors began with v2.14.0.',
    );
    expect(waiting!.approvalGroups).toEqual(['sre-approvers']);
    expect(outcome.summary).toContain(
      "*Found* (the scripted planner's notes)\nCheckout v2.14.0 fails for legacy accounts.",
    );

    // The same words are what the run row and its run.finished event keep, and the blocked row agrees.
    const events = await runAuditEvents(services.db, run.id);
    expect((events.at(-1)!.details as { summary: string }).summary).toBe(outcome.summary);
    const stored = await runProposals(services.db, run.id);
    expect(stored.find((p) => p.id === refused!.proposalId)).toMatchObject({
      state: 'blocked',
      reasonCode: reason,
    });
  });
});
