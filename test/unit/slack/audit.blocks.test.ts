import { describe, expect, it } from 'vitest';
import { createDirectory, describePeople } from '../../../src/dev/console/console.people.ts';
import { renderMrkdwn } from '../../../src/dev/console/render/mrkdwn.ts';
import { createSandboxPeople } from '../../../src/dev/slack-emulator/index.ts';
import { auditEventMrkdwn, auditReply } from '../../../src/slack/blocks/audit.blocks.ts';
import { allText, expectNoInjectedMarkup, expectValidMessage } from './block-schema.ts';
import { HOSTILE, makeEvent } from './slack-fixtures.ts';

describe('auditReply', () => {
  it('mentions the person who acted, so Slack shows their name', () => {
    const reply = auditReply({
      event: makeEvent({
        actor: 'U0ONCALL01',
        action: 'approval.refused',
        decision: null,
        reasonCode: 'approval.self_approval',
        details: {},
      }),
    });
    expectValidMessage(reply);
    expectNoInjectedMarkup(reply, ['U0ONCALL01']);
    expect(allText(reply)).toContain(
      ':small_blue_diamond: `#42` 09:55:01 UTC · <@U0ONCALL01> · approval.refused · approval.self_approval',
    );
    // The notification text stays plain.
    expect(reply.text).toContain('09:55:01 UTC · U0ONCALL01 · approval.refused');
  });

  it('keeps actors that are not people as text', () => {
    for (const actor of ['warden', 'policy', 'agent:triage', 'alertmanager']) {
      const text = allText(auditReply({ event: makeEvent({ actor }) }));
      expect(text).toContain(`09:55:01 UTC · ${actor} · proposal.decided`);
      expect(text).not.toContain('<@');
    }
  });

  it('mentions approvers in the details, and never untrusted text', () => {
    const reply = auditReply({
      event: makeEvent({
        actor: '<@U0APPROVE1>',
        details: { approver: 'U0APPROVE2', approvers: ['U0APPROVE1', '<!channel>'], reason: HOSTILE },
      }),
      permalink: 'https://example.slack.com/archives/C0INCIDENT/p1700000000000100',
    });
    expectValidMessage(reply);
    expectNoInjectedMarkup(reply, ['U0APPROVE1', 'U0APPROVE2']);
    const text = allText(reply);
    expect(text).toContain('09:55:01 UTC · &lt;@U0APPROVE1&gt; · proposal.decided');
    expect(text).toContain('approver=<@U0APPROVE2> approvers=<@U0APPROVE1>,&lt;!channel&gt;');
    expect(text).toContain('|view>');
  });

  it('cuts an overlong line as plain text, without mentions', () => {
    const line = auditEventMrkdwn({
      event: makeEvent({ actor: 'U0ONCALL01', action: 'x'.repeat(500) }),
      max: 300,
    });
    expect(line.length).toBeLessThanOrEqual(300);
    expect(line).toContain('U0ONCALL01');
    expect(line).not.toContain('<@');
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
    expect(html).toContain('<span class="mention user">@oncall.olivia</span> · approval.refused');
    expect(html).not.toContain('U0ONCALL01');
  });
});
