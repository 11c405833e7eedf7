import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkApproval, resolveGroups } from '../../../src/policy/approval-validity.ts';
import { checkCharterText } from '../../../src/policy/charter.loader.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { chartersDir, fixturesDir } from './policy-fixtures.ts';

const minimalText = readFileSync(join(fixturesDir, 'minimal.yaml'), 'utf8');
const triageText = readFileSync(join(chartersDir, 'triage.yaml'), 'utf8');

/** minimal.yaml with these groups and rollback_deploy in staging approved as `approve` says. */
function withApproval({ groups, approve }: { groups: string; approve: string }): string {
  return minimalText
    .replace('tools:\n', `groups:\n${groups}tools:\n`)
    .replace(
      'budgets:',
      `  rollback_deploy:\n    environments:\n      staging:\n        approve: ${approve}\nbudgets:`,
    );
}
const check = (text: string) => checkCharterText({ text, file: 't.yaml' });
const ONCALL = '  primary: { oncall: { connection: pagerduty, escalation_policy: PESCPRD } }\n';

describe('charter: on-call groups', () => {
  it('accepts a group of whoever is on call, named by an approval rule with any count', () => {
    const { charter, problems } = check(
      withApproval({ groups: ONCALL, approve: '{ count: 3, from: [primary] }' }),
    );
    expect(problems).toEqual([]);
    expect(charter?.groups.primary).toEqual({
      users: [],
      oncall: { connection: 'pagerduty', escalation_policy: 'PESCPRD' },
    });
  });

  it('accepts fixed users besides the on-call people, and the levels that count', () => {
    const groups =
      '  primary:\n    users: [U0OWNER001]\n    oncall: { connection: pagerduty, escalation_policy: PESCPRD, levels: [1, 2] }\n';
    expect(check(withApproval({ groups, approve: '{ count: 2, from: [primary] }' })).problems).toEqual([]);
  });

  it.each([
    [
      'an escalation policy that is no PagerDuty ID',
      '{ connection: pagerduty, escalation_policy: escalate }',
    ],
    ['a missing connection', '{ escalation_policy: PESCPRD }'],
    ['an unknown key', '{ connection: pagerduty, escalation_policy: PESCPRD, schedule: PSCHED1 }'],
    ['level 0', '{ connection: pagerduty, escalation_policy: PESCPRD, levels: [0] }'],
  ])('refuses %s', (_what, source) => {
    const groups = `  primary: { oncall: ${source} }\n`;
    expect(check(withApproval({ groups, approve: '{ count: 1, from: [primary] }' })).problems).toEqual([
      expect.stringMatching(/^t\.yaml: groups\.primary\.oncall/),
    ]);
  });

  it('leaves a charter without on-call groups as it was (no new keys, so the same hash)', () => {
    const { charter } = check(triageText);
    expect(Object.values(charter!.groups).every((g) => !('oncall' in g))).toBe(true);
  });
});

describe('approvals from on-call groups', () => {
  const charter = {
    groups: {
      primary: { users: [], oncall: { connection: 'pagerduty', escalation_policy: 'PESCPRD' } },
      sre: { users: ['U0APPROVE2'] },
    },
  };

  it('counts someone in an on-call group only as the caller resolved it', () => {
    expect(resolveGroups({ charter, userId: 'U0APPROVE1' })).toEqual([]);
    const oncallMembers = { primary: ['U0APPROVE1'] };
    expect(resolveGroups({ charter, userId: 'U0APPROVE1', oncallMembers })).toEqual(['primary']);
    expect(resolveGroups({ charter, userId: 'U0APPROVE2', oncallMembers })).toEqual(['sre']);
    // A name that is not an on-call group gains nobody.
    expect(resolveGroups({ charter, userId: 'U0OWNER001', oncallMembers: { sre: ['U0OWNER001'] } })).toEqual(
      [],
    );
  });

  const clock = createManualClock();
  const approve = (approver: Parameters<typeof checkApproval>[0]['approver']) =>
    checkApproval({
      proposal: {
        requester: 'U0ONCALL01',
        state: 'pending',
        actionHash: 'a',
        charterHash: 'c',
        expiresAt: new Date(clock.now().getTime() + 60_000),
        approval: { count: 1, from: ['primary'], groupsMode: 'any', allowSelfApproval: false },
      },
      currentActionHash: 'a',
      currentCharterHash: 'c',
      approver,
      priorApprovals: [],
      kill: { engaged: false },
      openBreakers: [],
      now: clock.now(),
    });

  it('refuses with the reason when the on-call group could not be resolved, and not otherwise', () => {
    const unresolved = [
      { group: 'primary', reason: 'PagerDuty did not say who is on call (system.unavailable)' },
    ];
    expect(approve({ userId: 'U0APPROVE1', groups: [], unresolved })).toEqual({
      ok: false,
      reasonCode: 'approval.oncall_unresolved',
      message: expect.stringContaining(
        '(primary: PagerDuty did not say who is on call (system.unavailable))',
      ),
    });
    expect(approve({ userId: 'U0APPROVE1', groups: [] })).toMatchObject({
      reasonCode: 'approval.not_in_group',
    });
    expect(approve({ userId: 'U0APPROVE1', groups: ['primary'] })).toMatchObject({
      ok: true,
      satisfied: true,
    });
    // On call, but the requester: the rule still holds.
    expect(approve({ userId: 'U0ONCALL01', groups: ['primary'] })).toMatchObject({
      reasonCode: 'approval.self_approval',
    });
  });
});
