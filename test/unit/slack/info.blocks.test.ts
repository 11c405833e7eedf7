import { describe, expect, it } from 'vitest';
import { describeReason } from '../../../src/policy/reasons.ts';
import {
  AGENT_COMMANDS,
  auditTrailMessage,
  errorMessage,
  helpMessage,
  usageMessage,
  whyMessage,
} from '../../../src/slack/blocks/info.blocks.ts';
import { allText, buttonsOf, expectNoInjectedMarkup, expectValidMessage } from './block-schema.ts';
import {
  BIG_EVIDENCE,
  HOSTILE,
  makeApprovals,
  makeEvent,
  makeProposal,
  REQUESTER,
} from './slack-fixtures.ts';

describe('auditTrailMessage', () => {
  it('mentions the people in the trail and keeps other actors as text', () => {
    const message = auditTrailMessage({
      subject: 'run run_4h2j8k',
      events: [makeEvent({ seq: 1, actor: 'U0ONCALL01' }), makeEvent({ seq: 2, actor: 'agent:triage' })],
    });
    expectNoInjectedMarkup(message, ['U0ONCALL01']);
    const text = allText(message);
    const [first, second] = text.split('\n').filter((line) => /^`#[12]`/.test(line));
    expect(first).toMatch(
      /^`#1` .*<@U0ONCALL01>.* · `proposal\.decided.*` · <!date\^\d+\^\{date_short_pretty\} \{time\}\|/,
    );
    expect(second).toMatch(/^`#2` .*triage.* · `proposal\.decided/);
    expect(second).not.toContain('<@');
    expect(text).not.toContain('UTC');
  });

  it('shows the trail as escaped lines and says how many it left out', () => {
    const events = Array.from({ length: 2000 }, (_, i) =>
      makeEvent({ seq: i + 1, details: { tool: 'create_ticket', reason: i % 7 === 0 ? HOSTILE : 'ok' } }),
    );
    const message = auditTrailMessage({ subject: 'run run_4h2j8k', events, truncatedCount: 500 });
    expectValidMessage(message);
    expectNoInjectedMarkup(message);
    const text = allText(message);
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: 'Audit trail: run run_4h2j8k' },
    });
    expect(text).toMatch(/`#1` .* · `proposal\.decided/);
    const footer = message.blocks.at(-1) as { type: string; elements: { text: string }[] };
    expect(footer.type).toBe('context');
    const shown = Number(/^(\d+) events shown/.exec(footer.elements[0]!.text)?.[1]);
    expect(shown).toBeGreaterThan(100);
    expect(footer.elements[0]!.text).toContain(`, ${2000 - shown + 500} more not shown`);
  });

  it('says when there is nothing', () => {
    const message = auditTrailMessage({ subject: 'INC-1', events: [], truncatedCount: 0 });
    expectValidMessage(message);
    expect(allText(message)).toContain('No audit events recorded');
  });
});

describe('whyMessage', () => {
  it('names the rule, the decision in words, what the code means, and who decided', () => {
    const proposal = makeProposal({
      state: 'rejected',
      stateReason: HOSTILE,
      rationale: HOSTILE,
      evidence: BIG_EVIDENCE,
    });
    const approvals = [
      ...makeApprovals(1),
      {
        approver: 'U0REJECTER',
        decision: 'reject',
        createdAt: new Date(),
        reason: HOSTILE,
        groups: ['security'],
      },
    ];
    const message = whyMessage({
      proposal,
      approvals,
      reasonDescription: describeReason({ code: proposal.reasonCode }),
    });
    expectValidMessage(message);
    expectNoInjectedMarkup(message, [REQUESTER, 'U0000000001', 'U0REJECTER']);
    const text = allText(message);
    expect(text).toContain('*Decision:* allowed only with approval (`needs_approval`)');
    expect(text).toContain('*Rule:* `tools.rollback_deploy.production`');
    expect(text).toContain('*In words:* rollback_deploy in production needs 2 approvals');
    expect(text).toContain('The action runs only after the approvals the charter asks for.');
    expect(text).toContain('<@U0000000001> approved as `sre`');
    expect(text).toContain('<@U0REJECTER> rejected as `security`');
    expect(text).toContain("*Planner's reason (unverified)*");
    expect(buttonsOf(message)).toEqual([]);
  });
});

describe('help, usage and error messages', () => {
  it('lists every /agent command from the design', () => {
    const message = helpMessage();
    expectValidMessage(message);
    const text = allText(message);
    for (const command of [
      'triage',
      'kill',
      'resume',
      'reset',
      'status',
      'audit',
      'why',
      'charter',
      'report',
      'keep',
      'help',
    ])
      expect(text).toContain(`\`/agent ${command}`);
    expect(text).toContain('`/agent triage &lt;incident-id&gt;`');
    expect(AGENT_COMMANDS.map((c) => c.name)).toHaveLength(11);
    expectNoInjectedMarkup(message);
  });

  it('answers bad input with a short usage, escaping what the person typed', () => {
    const message = usageMessage({ problem: `I don't know "${HOSTILE}".` });
    expectValidMessage(message);
    expectNoInjectedMarkup(message);
    expect(message.blocks.length).toBeLessThanOrEqual(2);
    expect(allText(message)).toContain('`/agent help`');
  });

  it('starts with a capital and shows the usage of the one command meant, not every command', () => {
    const message = usageMessage({ problem: 'status takes no arguments.', command: 'status' });
    expectValidMessage(message);
    expect(message.blocks).toHaveLength(2);
    expect(allText(message)).toContain(':grey_question: Status takes no arguments.');
    const footer = message.blocks[1] as { elements: { text: string }[] };
    expect(footer.elements.map((e) => e.text)).toEqual([
      'Usage: `/agent status`: kill switches, circuit breakers, running runs and pending approvals\n`/agent help` lists every command',
    ]);
    expect(message.text).toBe('Status takes no arguments. Usage: /agent status. Try /agent help.');
    expect(allText(message)).not.toContain('/agent triage');
  });

  it('points at /agent help alone when no command was meant', () => {
    const message = usageMessage({ problem: 'Unknown command "frobnicate".' });
    expectValidMessage(message);
    const footer = message.blocks[1] as { elements: { text: string }[] };
    expect(footer.elements[0]!.text).toBe('`/agent help` lists every command');
    expectNoInjectedMarkup(usageMessage({ problem: `Unknown command "${HOSTILE}".`, command: 'triage' }));
  });

  it('says Warden is unavailable and that nothing ran', () => {
    const message = errorMessage({ message: 'the database did not answer.' });
    expectValidMessage(message);
    expect(message.text).toBe('Warden is unavailable: the database did not answer. Nothing ran.');
    expect(allText(message)).toContain(
      ':warning: *Warden is unavailable:* the database did not answer. *Nothing ran.*',
    );
    expectNoInjectedMarkup(errorMessage({ message: HOSTILE }));
  });

  it('says what did not happen when the caller knows (a kill that was not engaged)', () => {
    const message = errorMessage({
      message: 'the database did not answer',
      notDone: 'The kill switch is not engaged.',
    });
    expectValidMessage(message);
    expect(message.text).toBe(
      'Warden is unavailable: the database did not answer. The kill switch is not engaged.',
    );
    expect(allText(message)).not.toContain('Nothing ran');
  });
});
