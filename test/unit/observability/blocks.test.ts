import { describe, expect, it } from 'vitest';
import { validateBlocks } from '../../../src/dev/slack-emulator/index.ts';
import { figuresOf } from '../../../src/observability/figures.ts';
import { alertMessage } from '../../../src/slack/blocks/alert.blocks.ts';
import { homeView, statusWithFigures } from '../../../src/slack/blocks/home.blocks.ts';
import { statusMessage } from '../../../src/slack/blocks/status.blocks.ts';

const AT = new Date('2026-11-24T09:00:00.000Z');
const HOSTILE = '<!channel> <@U0EVIL> *bold* ```code``` @here';

const alertEvent = (details: Record<string, unknown>) => ({
  seq: 42,
  at: AT,
  agent: 'ops',
  environment: 'production',
  incidentId: 'INC-7',
  details,
});

describe('the alert message', () => {
  it('names the rule, figures and threshold, mentions the owners, and is valid Block Kit', () => {
    const message = alertMessage({
      event: alertEvent({
        rule: 'repeated_failures',
        message: "ops's scale_service in production failed 3 times in 1h",
        figures: { failures: 3, tool: 'scale_service', window: '1h' },
        threshold: { threshold: 3, window: '1h' },
        owners: ['U0OWNER001', 'U0SECREV01'],
      }),
    });
    expect(validateBlocks(message.blocks)).toEqual([]);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('the same action keeps failing');
    expect(text).toContain('<@U0OWNER001> <@U0SECREV01>');
    expect(text).toContain('failures: `3`');
    expect(text).toContain('`#42`');
    expect(text).toContain('`INC-7`');
    expect(message.text).toContain('ops');
  });

  it('shows hostile text in the event as text: no channel ping, no fake mention', () => {
    const message = alertMessage({
      event: alertEvent({
        rule: HOSTILE,
        message: HOSTILE,
        figures: { [HOSTILE]: HOSTILE },
        owners: [HOSTILE],
      }),
    });
    expect(validateBlocks(message.blocks)).toEqual([]);
    const text = JSON.stringify(message);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0EVIL>');
  });
});

describe('the per-agent figures', () => {
  const figures = [
    figuresOf({
      agent: 'triage',
      decisions: {
        firstDecisions: [
          { agent: 'triage', tool: 'rollback_deploy', seconds: 60 },
          { agent: 'triage', tool: 'create_ticket', seconds: 252 },
          { agent: 'triage', tool: 'restart_service', seconds: 900 },
        ],
        settled: [
          { agent: 'triage', tool: 'rollback_deploy', outcome: 'approved', n: 2 },
          { agent: 'triage', tool: 'create_ticket', outcome: 'rejected', n: 1 },
        ],
        clicks: [
          { agent: 'triage', tool: 'rollback_deploy', decision: 'approve', n: 4 },
          { agent: 'triage', tool: 'create_ticket', decision: 'reject', n: 1 },
        ],
      },
      rows: [
        { agent: 'triage', action: 'run.started', decision: null, reason: null, n: 3, tokens: 0 },
        { agent: 'triage', action: 'run.finished', decision: null, reason: 'completed', n: 2, tokens: 0 },
        { agent: 'triage', action: 'run.finished', decision: null, reason: 'killed', n: 1, tokens: 0 },
        { agent: 'triage', action: 'run.step', decision: null, reason: null, n: 6, tokens: 1500 },
        {
          agent: 'triage',
          action: 'proposal.decided',
          decision: 'allow',
          reason: 'allowed',
          n: 12,
          tokens: 0,
        },
        {
          agent: 'triage',
          action: 'proposal.decided',
          decision: 'needs_approval',
          reason: 'needs_approval',
          n: 4,
          tokens: 0,
        },
        {
          agent: 'triage',
          action: 'proposal.decided',
          decision: 'deny',
          reason: 'prohibited',
          n: 1,
          tokens: 0,
        },
        {
          agent: 'triage',
          action: 'execution.succeeded',
          decision: 'allow',
          reason: 'allowed',
          n: 13,
          tokens: 0,
        },
        {
          agent: 'triage',
          action: 'approval.recorded',
          decision: 'approve',
          reason: 'approval.satisfied',
          n: 2,
          tokens: 0,
        },
        {
          agent: 'triage',
          action: 'approval.rejected',
          decision: 'reject',
          reason: 'approval.rejected',
          n: 1,
          tokens: 0,
        },
        {
          agent: 'triage',
          action: 'proposal.expired',
          decision: 'expired',
          reason: 'approval.expired',
          n: 1,
          tokens: 0,
        },
        {
          agent: 'triage',
          action: 'alert.raised',
          decision: null,
          reason: 'alert.off_hours',
          n: 1,
          tokens: 0,
        },
      ],
    }),
    figuresOf({ agent: 'evidence', decisions: { firstDecisions: [], settled: [], clicks: [] }, rows: [] }),
  ];

  it('folds the audit counts into figures', () => {
    expect(figures[0]).toMatchObject({
      runs: { started: 3, finished: 3, byOutcome: { completed: 2, killed: 1 } },
      decisions: { allow: 12, needsApproval: 4, deny: 1 },
      toolCalls: { succeeded: 13, failed: 0 },
      // Proposals, not clicks: four Approve clicks settled two proposals.
      approvals: { approved: 2, rejected: 1, expired: 1, clicks: { approve: 4, reject: 1 } },
      alerts: 1,
      tokens: 1500,
      timeToDecide: { medianSeconds: 252, proposals: 3 },
    });
  });

  it('reads the same in /agent status and on the App Home, within Slack limits', () => {
    const status = statusWithFigures({
      status: statusMessage({ killSwitches: [], breakers: [], openRuns: [], pendingProposals: [], now: AT }),
      figures,
    });
    const home = homeView({
      figures,
      killSwitches: [{ scope: 'agent:ops', engaged: true }],
      recentAlerts: [],
      now: AT,
    });
    expect(validateBlocks(status.blocks)).toEqual([]);
    expect(validateBlocks(home.blocks as never)).toEqual([]);
    for (const text of [JSON.stringify(status.blocks), JSON.stringify(home.blocks)]) {
      expect(text).toContain('*Runs*\\n3 started · 2 completed, 1 killed');
      expect(text).toContain('*Decisions*\\n12 allowed · 4 asked for approval · 1 blocked');
      expect(text).toContain(
        '*Proposals decided by people*\\n2 approved · 1 rejected · 1 expired\\n_4 Approve and 1 Reject clicks_',
      );
      expect(text).toContain('*Time to first decision*\\nmedian 4 min 12 s over 3 proposals');
      expect(text).toContain('*Tool calls*\\n13 ran (13 succeeded · 0 failed · 0 unknown)');
      expect(text).toContain('*Model tokens*\\n1,500');
      expect(text).toContain('Agent `evidence`');
    }
    // Status keeps its closing line last.
    expect(status.blocks.at(-1)?.type).toBe('context');
    expect(JSON.stringify(home.blocks)).toContain('Kill switch engaged');
  });
});
