import { describe, expect, it } from 'vitest';
import { createDirectory, describePeople } from '../../../src/dev/console/console.people.ts';
import { renderMrkdwn } from '../../../src/dev/console/render/mrkdwn.ts';
import { createSandboxPeople } from '../../../src/dev/slack-emulator/index.ts';
import { auditEventMrkdwn, auditReply, chainAnchorMessage } from '../../../src/slack/blocks/audit.blocks.ts';
import { allText, expectNoInjectedMarkup, expectValidMessage } from './block-schema.ts';
import { HOSTILE, makeEvent } from './slack-fixtures.ts';

const DATE = '<!date^1772445301^{date_short_pretty} {time}|2026-03-02T09:55:01.000Z>';

const PROPOSAL = {
  id: 'prp_7f3k2m9q1x',
  runId: 'run_4h2j8k',
  tool: 'rollback_deploy',
  args: { service: 'checkout', to_version: 'v2.13.4' },
  environment: 'production',
  requester: 'U0ONCALL01',
  source: 'planner',
  executionStartedAt: new Date('2026-03-02T09:55:00.600Z'),
  result: { summary: 'Rolled checkout back', data: { from: 'v2.14.0', to: 'v2.13.4' } },
};

describe('auditReply', () => {
  it('reads as a sentence, with the machine fields in a context line below', () => {
    const reply = auditReply({
      event: makeEvent({
        actor: 'U0APPROVE1',
        action: 'approval.recorded',
        decision: 'approve',
        reasonCode: 'approval.partial',
        details: { tool: 'rollback_deploy', counted: 1, needed: 2 },
      }),
      proposal: PROPOSAL,
    });
    expectValidMessage(reply);
    expectNoInjectedMarkup(reply, ['U0APPROVE1']);
    const [said, machine] = reply.blocks;
    expect(said).toMatchObject({
      type: 'section',
      text: {
        text: ':+1: <@U0APPROVE1> approved the rollback of checkout to v2.13.4 in production (1 of 2).',
      },
    });
    expect(machine).toMatchObject({
      type: 'context',
      elements: [
        {
          text: `\`#42\` · approval.recorded · approve (approval.partial) · proposal \`prp_7f3k2m9q1x\` · ${DATE} · sha256 \`111111111111\``,
        },
      ],
    });
    expect(allText(reply)).not.toMatch(/UTC|=/);
    expect(reply.text).toBe(
      '<@U0APPROVE1> approved the rollback of checkout to v2.13.4 in production (1 of 2).',
    );
  });

  it('keeps actors that are not people as names, never as mentions', () => {
    for (const [actor, name] of [
      ['warden', 'Warden'],
      ['agent:triage', 'triage'],
      ['alertmanager', 'Alertmanager'],
    ]) {
      const text = allText(auditReply({ event: makeEvent({ actor: actor!, action: 'something.new' }) }));
      expect(text).toContain(`\`something.new\` by ${name}.`);
      expect(text).not.toContain('<@');
    }
  });

  it("tells the requester how their action ended and carries the result's details", () => {
    const reply = auditReply({
      event: makeEvent({
        actor: 'agent:triage',
        action: 'execution.succeeded',
        decision: 'allow',
        reasonCode: 'policy.approved',
        details: { tool: 'rollback_deploy', summary: 'Rolled checkout back' },
      }),
      proposal: PROPOSAL,
    });
    expectValidMessage(reply);
    expectNoInjectedMarkup(reply, ['U0ONCALL01']);
    expect(reply.text).toBe(
      '<@U0ONCALL01>, your rollback of checkout to v2.13.4 in production succeeded in 0.4 s: Rolled checkout back.',
    );
    const text = allText(reply);
    expect(text).toContain('*Details*');
    expect(text).toContain('v2.14.0');
  });

  it('mentions nobody from untrusted text, and escapes every value', () => {
    const reply = auditReply({
      event: makeEvent({
        actor: '<@U0APPROVE1>',
        action: 'approval.rejected',
        decision: HOSTILE,
        reasonCode: '<!channel>',
        details: { reason: HOSTILE, tool: HOSTILE },
      }),
      proposal: { ...PROPOSAL, tool: HOSTILE, args: { service: '<!here>' }, environment: '<!everyone>' },
      permalink: 'https://example.slack.com/archives/C0INCIDENT/p1700000000000100',
    });
    expectValidMessage(reply);
    expectNoInjectedMarkup(reply, ['U0ONCALL01']);
    const text = allText(reply);
    expect(text).toContain('&lt;@U0APPROVE1&gt;');
    expect(text).toContain('|view>');
    // A forged permalink is left out.
    const forged = auditReply({ event: makeEvent(), permalink: 'javascript:alert(1)|x' });
    expect(allText(forged)).not.toContain('view');
  });

  it('writes every action Warden audits with no markup from its values', () => {
    const actions = [
      ...['run.started', 'run.step', 'run.finished', 'run.ended_late', 'run.proposals_truncated'],
      ...[
        'run.call_skipped',
        'run.proposal_skipped',
        'run.injection_suspected',
        'proposal.injection_warning',
      ],
      ...[
        'proposal.decided',
        'proposal.expired',
        'approval.recorded',
        'approval.rejected',
        'approval.refused',
      ],
      ...['execution.started', 'execution.succeeded', 'execution.failed', 'execution.outcome_unknown'],
      ...['execution.verified', 'execution.refused', 'execution.not_started', 'feedback.recorded'],
      'eval.case_kept',
      ...['breaker.tripped', 'breaker.reset', 'breaker.reset_refused', 'kill.engaged', 'kill.released'],
      ...['kill.release_refused', 'alert.received', 'alert.incident_opened', 'alert.duplicate'],
      ...['alert.run_skipped', 'alert.resolved', 'alert.ignored', 'alert.refused', 'alert.raised'],
    ];
    const keys = [
      'tool',
      'args',
      'reason',
      'error',
      'summary',
      'message',
      'title',
      'service',
      'breaker',
      'scope',
    ];
    const details = Object.fromEntries(
      keys.map((key) => [key, key === 'args' ? { service: HOSTILE } : HOSTILE]),
    );
    for (const action of actions) {
      const reply = auditReply({
        event: makeEvent({ action, actor: 'agent:<!channel>', reasonCode: HOSTILE, details }),
        proposal: {
          ...PROPOSAL,
          tool: HOSTILE,
          args: { service: HOSTILE, title: HOSTILE },
          environment: HOSTILE,
        },
      });
      expectValidMessage(reply);
      expectNoInjectedMarkup(reply, ['U0ONCALL01']);
      // Each has its own sentence, not the generic fallback.
      expect(allText(reply), action).not.toContain(':small_blue_diamond:');
    }
  });

  it('cuts a long notification text without leaving a mention or an entity open', () => {
    const reply = auditReply({
      event: makeEvent({
        action: 'execution.failed',
        details: { error: `${'x'.repeat(250)} <@U0AAAAAAAA> & more ${'y'.repeat(300)}` },
      }),
      proposal: PROPOSAL,
    });
    expectValidMessage(reply);
    expect(Array.from(reply.text).length).toBeLessThanOrEqual(300);
    expect(reply.text.endsWith('…')).toBe(true);
    expect(reply.text).not.toMatch(/<[^>]*$|&[a-z]*…$/);
  });

  it('cuts an overlong line as plain text, without mentions', () => {
    const line = auditEventMrkdwn({
      event: makeEvent({ actor: 'U0ONCALL01', action: 'x'.repeat(500) }),
      max: 150,
    });
    expect(line.length).toBeLessThanOrEqual(150);
    expect(line).toContain('U0ONCALL01');
    expect(line).not.toContain('<@');
    expect(line).not.toContain('<!date');
  });

  it('tells /agent audit the sentence, the action code and a date each reader sees in their zone', () => {
    const line = auditEventMrkdwn({
      event: makeEvent({
        actor: 'U0ONCALL01',
        action: 'approval.refused',
        at: new Date('2026-03-02T09:14:03.000Z'),
        details: {},
      }),
      max: 2800,
    });
    expect(line).toContain('<@U0ONCALL01>');
    expect(line).toContain('`approval.refused');
    expect(line).toContain('<!date^1772442843^{date_short_pretty} {time}|');
    expect(line).not.toMatch(/UTC|=/);
  });

  it('reads as names in the local console', () => {
    const sandbox = createSandboxPeople();
    const directory = createDirectory({
      people: describePeople({ users: sandbox.users, charters: [] }),
      channels: sandbox.channels,
      usergroups: sandbox.usergroups,
      botUserId: 'U0WARDENBOT',
    });
    const line = auditEventMrkdwn({
      event: makeEvent({ actor: 'U0ONCALL01', action: 'approval.refused', details: {} }),
      max: 2800,
    });
    const html = renderMrkdwn({ text: line, directory });
    expect(html).toContain('<span class="mention user">@oncall.olivia</span>');
    expect(html).not.toContain('U0ONCALL01');
  });
});

describe('chainAnchorMessage', () => {
  it('says which run, why now, the seq and the full sha256, with a localised time', () => {
    const head = { seq: 57, hash: 'ab'.repeat(32), at: new Date('2026-03-02T09:55:01.000Z') };
    const message = chainAnchorMessage({ head, runId: 'run_4h2j8k', why: 'settled its last action' });
    expectValidMessage(message);
    expectNoInjectedMarkup(message);
    expect(message.text).toBe(
      `Audit chain head after run run_4h2j8k settled its last action: event #57, sha256 ${head.hash} at 2026-03-02T09:55:01.000Z`,
    );
    const text = allText(message);
    expect(text).toContain('after run `run_4h2j8k` settled its last action: event `#57`.');
    expect(text).toContain(`sha256 \`${head.hash}\` · ${DATE}`);
  });
});
