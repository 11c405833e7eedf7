import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/audit.types.ts';
import { auditStory, PLAIN_STORY, type StoryProposal } from '../../../src/slack/blocks/audit.story.ts';
import { HOSTILE, makeEvent } from './slack-fixtures.ts';

const ROLLBACK: StoryProposal = {
  tool: 'rollback_deploy',
  args: { service: 'checkout', to_version: 'v2.13.4' },
  environment: 'production',
  requester: 'U0ONCALL01',
  source: 'planner',
  executionStartedAt: new Date('2026-03-02T09:55:00.600Z'),
};

const sentence = (event: Partial<AuditEvent>, proposal: StoryProposal | null = ROLLBACK) =>
  auditStory({ event: makeEvent(event), proposal }).sentence;

describe('auditStory: one readable sentence per audit event', () => {
  it('says who approved what, and how many approvals there are so far', () => {
    const event = {
      actor: 'U0ANA00001',
      action: 'approval.recorded',
      decision: 'approve',
      reasonCode: 'approval.partial',
      details: { tool: 'rollback_deploy', counted: 1, needed: 2 },
    };
    expect(sentence(event)).toBe(
      '<@U0ANA00001> approved the rollback of checkout to v2.13.4 in production (1 of 2).',
    );
    // The count may come from the caller when the event does not carry it.
    const story = auditStory({
      event: makeEvent({ ...event, details: { tool: 'rollback_deploy' } }),
      proposal: ROLLBACK,
      approvals: { counted: 2, needed: 2 },
    });
    expect(story.sentence).toMatch(/\(2 of 2\)\.$/);
  });

  it('says in the run thread that the agent runs on a new model or prompt from this run on', () => {
    const event = {
      actor: 'U0ONCALL01',
      action: 'agent.versions_changed',
      agent: 'triage',
      details: { changed: ['model', 'prompt'], from: { model: 'gpt-4o-mini' }, to: { model: 'gpt-4o' } },
    };
    expect(sentence(event, null)).toBe('triage runs on a new model, prompt (model gpt-4o) from this run on.');
  });

  it('tells the requester about a rejection, with the reason quoted', () => {
    expect(
      sentence({
        actor: 'U0ANA00001',
        action: 'approval.rejected',
        decision: 'reject',
        details: { tool: 'rollback_deploy', reason: 'roll forward instead' },
      }),
    ).toBe(
      '<@U0ANA00001> rejected <@U0ONCALL01>’s rollback of checkout to v2.13.4 in production: “roll forward instead”',
    );
  });

  it('says how long a successful execution took, and what it did', () => {
    expect(
      sentence({
        actor: 'agent:triage',
        action: 'execution.succeeded',
        decision: 'allow',
        details: { tool: 'rollback_deploy', summary: 'Rolled checkout back from v2.14.0 to v2.13.4' },
      }),
    ).toBe(
      '<@U0ONCALL01>, your rollback of checkout to v2.13.4 in production succeeded in 0.4 s: Rolled checkout back from v2.14.0 to v2.13.4.',
    );
    // The agent's own evidence reads tell nobody.
    const read = { ...ROLLBACK, tool: 'get_recent_deploys', args: { service: 'checkout' }, source: 'agent' };
    expect(
      sentence(
        { actor: 'agent:triage', action: 'execution.succeeded', details: { summary: '5 deploys' } },
        read,
      ),
    ).toBe('The call to `get_recent_deploys` for checkout in production succeeded in 0.4 s: 5 deploys.');
  });

  it('says why an execution failed', () => {
    expect(
      sentence({
        actor: 'agent:triage',
        action: 'execution.failed',
        decision: 'deny',
        reasonCode: 'tools.timeout',
        at: new Date('2026-03-02T09:55:12.600Z'),
        details: { tool: 'rollback_deploy', error: 'the deploy API timed out' },
      }),
    ).toBe(
      '<@U0ONCALL01>, your rollback of checkout to v2.13.4 in production failed after 12 s: the deploy API timed out.',
    );
  });

  it('says an approval expired, with the approvals it had', () => {
    const story = auditStory({
      event: makeEvent({ actor: 'warden', action: 'proposal.expired', decision: 'expired' }),
      proposal: ROLLBACK,
      approvals: { counted: 1, needed: 2 },
    });
    expect(story.sentence).toBe(
      '<@U0ONCALL01>, your rollback of checkout to v2.13.4 in production expired with 1 of 2 approvals: nobody decided before the approval window closed.',
    );
  });

  it('tells the kill switch and a breaker trip plainly', () => {
    expect(
      sentence({
        actor: 'U0ONCALL01',
        action: 'kill.engaged',
        details: {
          scope: 'agent:triage',
          reason: 'bad rollouts',
          cancelledProposals: ['p1', 'p2'],
          stoppedRuns: ['r1'],
        },
      }),
    ).toBe(
      '<@U0ONCALL01> engaged the kill switch for triage: bad rollouts. 2 proposals cancelled, 1 run stopped.',
    );
    expect(
      sentence({
        actor: 'warden',
        action: 'breaker.tripped',
        details: {
          breaker: 'writes_per_hour',
          reason: '5 writes in an hour',
          until: '2026-03-02T10:55:01.000Z',
        },
      }),
    ).toBe(
      'Circuit breaker `writes_per_hour` tripped: 5 writes in an hour. It stays open until <!date^1772448901^{date_short_pretty} {time}|2026-03-02T10:55:01.000Z> or until an owner resets it.',
    );
  });

  it('tells how a run started, planned and finished', () => {
    expect(
      sentence({ actor: 'U0ONCALL01', action: 'run.started', details: { planner: 'offline' } }, null),
    ).toBe('<@U0ONCALL01> started triage on INC-4211 in production.');
    expect(
      sentence(
        {
          actor: 'agent:triage',
          action: 'run.step',
          details: { step: 1, kind: 'gather', calls: ['get_service_health', 'search_logs'] },
        },
        null,
      ),
    ).toBe('triage looked at `get_service_health`, `search_logs` (step 1).');
    expect(
      sentence(
        { actor: 'warden', action: 'run.finished', reasonCode: 'failed', details: { error: 'no answer' } },
        null,
      ),
    ).toBe('The run failed: no answer.');
    expect(sentence({ action: 'run.finished', reasonCode: 'completed', details: {} }, null)).toBe(
      'The run completed.',
    );
  });

  it('tells what a proposal needs from the details alone', () => {
    expect(
      sentence(
        {
          actor: 'agent:triage',
          action: 'proposal.decided',
          details: {
            tool: 'create_ticket',
            args: { title: 'Checkout degraded', severity: 'sev2' },
            source: 'planner',
            approvalsRequired: 1,
            approvalGroups: ['sre-approvers'],
          },
        },
        null,
      ),
    ).toBe(
      'triage proposed the ticket “Checkout degraded” in production; it needs 1 approval from `sre-approvers`.',
    );
  });

  it("tells the agent's own reads briefly, with real durations", () => {
    const read = { ...ROLLBACK, tool: 'search_logs', args: { service: 'checkout' }, source: 'agent' };
    expect(
      sentence(
        {
          actor: 'agent:triage',
          action: 'proposal.decided',
          decision: 'allow',
          details: { tool: 'search_logs', args: { service: 'checkout' }, source: 'agent' },
        },
        null,
      ),
    ).toBe('The charter lets triage read `search_logs` for checkout in production.');
    const started = new Date('2026-03-02T09:55:00.600Z');
    const settledAfter = (ms: number, action = 'execution.succeeded') =>
      sentence({ action, at: new Date(started.getTime() + ms), details: {} }, read);
    expect(settledAfter(20)).toContain('succeeded in under 0.1 s.');
    expect(settledAfter(20, 'execution.failed')).toContain('failed within 0.1 s');
    expect(settledAfter(42_000)).toContain('succeeded in 42 s.');
    expect(settledAfter(125_000)).toContain('succeeded in 2 min 5 s.');
  });

  it('falls back to the action and the actor for an action it has no words for', () => {
    expect(sentence({ actor: 'U0ONCALL01', action: 'something.new' }, null)).toBe(
      '`something.new` by <@U0ONCALL01>.',
    );
    expect(sentence({ actor: 'warden', action: 'toString' }, null)).toBe('`toString` by Warden.');
    expect(sentence({ action: 'run.finished', reasonCode: 'constructor', details: {} }, null)).toBe(
      'The run ended.',
    );
  });

  it('escapes every untrusted value and mentions only real user ids', () => {
    const story = auditStory({
      event: makeEvent({
        actor: '<!channel>',
        action: 'approval.rejected',
        details: { reason: HOSTILE },
      }),
      proposal: {
        ...ROLLBACK,
        args: { service: '<!here>', to_version: '<@U0EVIL0001>' },
        requester: '<!channel>',
      },
    });
    expect(story.sentence).not.toMatch(/<[!@]/);
    expect(story.sentence).toContain('&lt;!here&gt;');
    expect(auditStory({ event: makeEvent({ action: HOSTILE }) }).sentence).not.toMatch(/<[!@]/);
  });

  it('writes plain text for places without mrkdwn', () => {
    const story = auditStory({
      event: makeEvent({
        actor: 'U0ANA00001',
        action: 'approval.recorded',
        details: { counted: 1, needed: 2 },
      }),
      proposal: ROLLBACK,
      format: PLAIN_STORY,
    });
    expect(story.sentence).toBe(
      'U0ANA00001 approved the rollback of checkout to v2.13.4 in production (1 of 2).',
    );
  });
});
