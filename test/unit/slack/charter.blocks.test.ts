import { describe, expect, it } from 'vitest';
import { describeCharter } from '../../../src/policy/charter.describe.ts';
import { charterSchema } from '../../../src/policy/charter.schemas.ts';
import { charterMessage } from '../../../src/slack/blocks/charter.blocks.ts';
import { allText, expectNoInjectedMarkup, expectValidMessage } from './block-schema.ts';
import { HOSTILE } from './slack-fixtures.ts';

function makeCharter(overrides: Record<string, unknown> = {}) {
  return charterSchema.parse({
    agent: 'triage',
    version: 3,
    purpose: 'Triage production incidents and propose fixes.',
    owners: { business: 'U0BUSINESS', technical: 'U0TECHNICL', security: 'U0SECURITY' },
    groups: { sre: { users: ['U0SRE00001', 'W0SRE00002'] } },
    invokers: { users: ['U0INVOKER1'], groups: ['sre'] },
    environments: { production: { mode: 'human_in_the_loop' } },
    tools: {
      create_ticket: { environments: { production: 'allow' } },
      rollback_deploy: { environments: { production: { approve: { count: 2, from: ['sre'] } } } },
    },
    prohibited: [{ tool: '*', reason: `never ${HOSTILE}` }],
    budgets: { tool_calls: 20, tokens: 50_000, wall_time: '10m' },
    approval_ttl: '30m',
    ...overrides,
  });
}

const PEOPLE = ['U0BUSINESS', 'U0TECHNICL', 'U0SECURITY', 'U0SRE00001', 'W0SRE00002', 'U0INVOKER1'];

describe('charterMessage', () => {
  it('renders the charter description in sections within limits', () => {
    const charter = makeCharter();
    const message = charterMessage({
      charter: { ...charter, hash: 'f'.repeat(64), file: 'charters/triage.yaml' },
      describe: (person) => describeCharter({ charter, person }),
    });
    expectValidMessage(message);
    expectNoInjectedMarkup(message, PEOPLE);
    const text = allText(message);
    expect(message.blocks[0]).toMatchObject({ text: { text: 'Charter: triage (version 3)' } });
    expect(text).toContain('• rollback_deploy: needs 2 approvals (different people) from sre');
    expect(text).toContain('`ffffffffffff`');
  });

  it('mentions owners, group members and invokers, so Slack shows their names', () => {
    const charter = makeCharter();
    const text = allText(
      charterMessage({ charter, describe: (person) => describeCharter({ charter, person }) }),
    );
    expect(text).toContain('Owners: business <@U0BUSINESS>, technical <@U0TECHNICL>, security <@U0SECURITY>');
    expect(text).toContain('Group sre: <@U0SRE00001>, <@W0SRE00002>');
    expect(text).toContain('Who may start it: <@U0INVOKER1>, members of sre, in any channel');
  });

  it('shows a person who is not a Slack user ID as inert code, never a mention', () => {
    // The schema admits only user IDs; the message must not rely on it.
    const charter = {
      ...makeCharter(),
      owners: { business: '<!channel>', technical: 'U0TECHNICL', security: 'security-team' },
    };
    const message = charterMessage({ charter, describe: (person) => describeCharter({ charter, person }) });
    expectNoInjectedMarkup(message, PEOPLE);
    expect(allText(message)).toContain(
      'Owners: business `&lt;!channel&gt;`, technical <@U0TECHNICL>, security `security-team`',
    );
  });

  it('mentions nobody when the charter text itself holds the marker it uses', () => {
    const charter = makeCharter({ purpose: 'Triage \uE0020\uE002 incidents.' });
    const message = charterMessage({ charter, describe: (person) => describeCharter({ charter, person }) });
    expectNoInjectedMarkup(message);
    expect(allText(message)).toContain('Owners: business U0BUSINESS, technical U0TECHNICL');
  });

  it('fits a huge description into 50 blocks', () => {
    const description = Array.from({ length: 200 }, (_, i) => `Paragraph ${i}\n${'word '.repeat(800)}`).join(
      '\n\n',
    );
    const message = charterMessage({ charter: { agent: 'triage', version: 1 }, describe: () => description });
    expectValidMessage(message);
    expect(message.blocks).toHaveLength(50);
    expect(message.blocks.at(-1)).toMatchObject({ type: 'context' });
  });
});
