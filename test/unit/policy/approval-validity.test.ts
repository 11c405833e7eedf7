import { describe, expect, it } from 'vitest';
import {
  checkApproval,
  isApprovalSatisfied,
  type PendingProposal,
  type RecordedApproval,
} from '../../../src/policy/approval-validity.ts';
import type { ApprovalRequirement } from '../../../src/policy/decide.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { actionHash } from '../../../src/shared/hash.ts';

const charterHash = 'c'.repeat(64);
const hash = actionHash({
  tool: 'rollback_deploy',
  args: { service: 'checkout', to_version: 'v2.13.4' },
  environment: 'production',
  charterHash,
});
const twoOfSre: ApprovalRequirement = {
  count: 2,
  from: ['sre-approvers'],
  groupsMode: 'any',
  allowSelfApproval: false,
};
const sre = ['sre-approvers'];

function setup(approval: ApprovalRequirement = twoOfSre, requester = 'U0ONCALL01') {
  const clock = createManualClock('2026-11-24T09:00:00.000Z');
  const proposal: PendingProposal = {
    requester,
    state: 'pending',
    actionHash: hash,
    charterHash,
    expiresAt: new Date(clock.now().getTime() + 30 * 60_000),
    approval,
  };
  const check = (
    approver: { userId: string; groups: string[] },
    options: Partial<Parameters<typeof checkApproval>[0]> = {},
  ) =>
    checkApproval({
      proposal,
      currentActionHash: hash,
      currentCharterHash: charterHash,
      approver,
      priorApprovals: [],
      kill: { engaged: false },
      openBreakers: [],
      now: clock.now(),
      ...options,
    });
  return { clock, proposal, check };
}

const approved = (approver: string, groups = sre, at = hash): RecordedApproval => ({
  approver,
  groups,
  actionHash: at,
  decision: 'approve',
});

describe('checkApproval: counting', () => {
  it('counts a first approval of two and then satisfies with a second, distinct person', () => {
    const { check } = setup();
    expect(check({ userId: 'U0APPROVE1', groups: sre })).toEqual({
      ok: true,
      satisfied: false,
      counted: 1,
      needed: 2,
    });
    expect(
      check({ userId: 'U0APPROVE2', groups: sre }, { priorApprovals: [approved('U0APPROVE1')] }),
    ).toEqual({
      ok: true,
      satisfied: true,
      counted: 2,
      needed: 2,
    });
  });

  it('refuses the same person twice', () => {
    const { check } = setup();
    const again = check({ userId: 'U0APPROVE1', groups: sre }, { priorApprovals: [approved('U0APPROVE1')] });
    expect(again).toMatchObject({ ok: false, reasonCode: 'approval.already_approved' });
  });

  it('counts only approvals bound to this action, with decision approve, from eligible people', () => {
    const { check } = setup();
    const prior: RecordedApproval[] = [
      approved('U0OLDHASH1', sre, 'f'.repeat(64)),
      { ...approved('U0REJECT01'), decision: 'reject' },
      approved('U0ONCALL01'), // the requester
      approved('U0NOGROUP1', []),
    ];
    expect(check({ userId: 'U0APPROVE2', groups: sre }, { priorApprovals: prior })).toEqual({
      ok: true,
      satisfied: false,
      counted: 1,
      needed: 2,
    });
  });
});

describe('checkApproval: refusals', () => {
  it('refuses when the proposal is no longer pending, naming its state', () => {
    const { check, proposal } = setup();
    proposal.state = 'rejected';
    const result = check({ userId: 'U0APPROVE1', groups: sre });
    expect(result).toMatchObject({ ok: false, reasonCode: 'approval.not_pending' });
    if (!result.ok) expect(result.message).toContain('rejected');
  });

  it('refuses a proposal that never asked for approval', () => {
    const { check, proposal } = setup();
    proposal.approval = null;
    expect(check({ userId: 'U0APPROVE1', groups: sre })).toMatchObject({
      reasonCode: 'approval.not_pending',
    });
  });

  it('expires exactly at expiresAt, and never calls it rejected', () => {
    const { check, clock } = setup();
    clock.advance(30 * 60_000 - 1);
    expect(check({ userId: 'U0APPROVE1', groups: sre }).ok).toBe(true);
    clock.advance(1);
    const atExpiry = check({ userId: 'U0APPROVE1', groups: sre });
    expect(atExpiry).toMatchObject({ ok: false, reasonCode: 'approval.expired' });
    if (!atExpiry.ok) expect(atExpiry.message.toLowerCase()).not.toContain('reject');
    clock.advance(60_000);
    expect(check({ userId: 'U0APPROVE1', groups: sre }, { decision: 'reject' })).toMatchObject({
      reasonCode: 'approval.expired',
    });
  });

  it('treats a missing expiry as expired (fail closed)', () => {
    const { check, proposal } = setup();
    proposal.expiresAt = null;
    expect(check({ userId: 'U0APPROVE1', groups: sre })).toMatchObject({ reasonCode: 'approval.expired' });
  });

  it('refuses when the arguments changed since the proposal', () => {
    const { check } = setup();
    const changed = actionHash({
      tool: 'rollback_deploy',
      args: { service: 'checkout', to_version: 'v1.0.0' },
      environment: 'production',
      charterHash,
    });
    expect(check({ userId: 'U0APPROVE1', groups: sre }, { currentActionHash: changed })).toMatchObject({
      ok: false,
      reasonCode: 'approval.action_changed',
    });
  });

  it('refuses when the charter changed since the proposal', () => {
    const { check } = setup();
    expect(
      check({ userId: 'U0APPROVE1', groups: sre }, { currentCharterHash: 'd'.repeat(64) }),
    ).toMatchObject({
      ok: false,
      reasonCode: 'approval.charter_changed',
    });
  });

  it('refuses while the kill switch is engaged or a breaker is open', () => {
    const { check } = setup();
    expect(
      check(
        { userId: 'U0APPROVE1', groups: sre },
        { kill: { engaged: true, scope: 'global', reason: 'drill', by: null } },
      ),
    ).toMatchObject({ reasonCode: 'kill_switch' });
    const open = check(
      { userId: 'U0APPROVE1', groups: sre },
      { openBreakers: [{ name: 'write-failures', message: '3 failures in a row' }] },
    );
    expect(open).toMatchObject({ reasonCode: 'breaker_open' });
    if (!open.ok) expect(open.message).toContain('write-failures');
  });

  it('refuses the requester, even when they are in the approving group', () => {
    const { check } = setup(twoOfSre, 'U0OWNER001');
    expect(check({ userId: 'U0OWNER001', groups: sre })).toEqual({
      ok: false,
      reasonCode: 'approval.self_approval',
      message: 'You requested this action; someone else must approve it.',
    });
  });

  it('lets the requester approve when the charter allows self-approval', () => {
    const { check } = setup({ ...twoOfSre, allowSelfApproval: true }, 'U0OWNER001');
    expect(check({ userId: 'U0OWNER001', groups: sre })).toMatchObject({ ok: true, counted: 1 });
  });

  it('refuses an outsider and a member of another group', () => {
    const { check } = setup();
    const outsider = check({ userId: 'U0OUTSIDE1', groups: [] });
    expect(outsider).toMatchObject({ ok: false, reasonCode: 'approval.not_in_group' });
    if (!outsider.ok) expect(outsider.message).toContain('sre-approvers');
    expect(check({ userId: 'U0ONCALL02', groups: ['oncall'] })).toMatchObject({
      reasonCode: 'approval.not_in_group',
    });
  });

  it('checks in the documented order', () => {
    const { check, clock } = setup();
    clock.advance(31 * 60_000);
    // expired beats changed action, kill switch and outsider
    expect(
      check(
        { userId: 'U0OUTSIDE1', groups: [] },
        { currentActionHash: 'x', kill: { engaged: true }, openBreakers: [{ name: 'b', message: 'm' }] },
      ),
    ).toMatchObject({ reasonCode: 'approval.expired' });
    clock.advance(-31 * 60_000);
    expect(
      check(
        { userId: 'U0OUTSIDE1', groups: [] },
        { currentActionHash: 'x', currentCharterHash: 'y', kill: { engaged: true } },
      ),
    ).toMatchObject({ reasonCode: 'approval.action_changed' });
    expect(check({ userId: 'U0ONCALL01', groups: [] }, { kill: { engaged: true } })).toMatchObject({
      reasonCode: 'kill_switch',
    });
    expect(check({ userId: 'U0ONCALL01', groups: [] })).toMatchObject({
      reasonCode: 'approval.self_approval',
    });
  });
});

describe('checkApproval: reject clicks', () => {
  it('lets an approver or the requester reject, but not an outsider', () => {
    const { check } = setup();
    expect(check({ userId: 'U0APPROVE1', groups: sre }, { decision: 'reject' })).toMatchObject({
      ok: true,
      satisfied: false,
    });
    expect(check({ userId: 'U0ONCALL01', groups: [] }, { decision: 'reject' }).ok).toBe(true);
    expect(check({ userId: 'U0OUTSIDE1', groups: [] }, { decision: 'reject' })).toMatchObject({
      reasonCode: 'approval.not_in_group',
    });
  });

  it('is not blocked by the kill switch or a breaker: stopping an action is always possible', () => {
    const { check } = setup();
    expect(
      check(
        { userId: 'U0APPROVE1', groups: sre },
        { decision: 'reject', kill: { engaged: true }, openBreakers: [{ name: 'b', message: 'm' }] },
      ).ok,
    ).toBe(true);
  });
});

describe('groups_mode all', () => {
  const both: ApprovalRequirement = {
    count: 2,
    from: ['sre', 'security'],
    groupsMode: 'all',
    allowSelfApproval: false,
  };

  it('finds a matching where a greedy assignment would not', () => {
    // U0BOTH0001 is in both groups and approved first; a greedy pass would spend them on `sre`
    // and leave `security` uncovered. U0SREONLY1 can only cover `sre`.
    const { check } = setup(both);
    const result = check(
      { userId: 'U0SREONLY1', groups: ['sre'] },
      { priorApprovals: [approved('U0BOTH0001', ['sre', 'security'])] },
    );
    expect(result).toEqual({ ok: true, satisfied: true, counted: 2, needed: 2 });
  });

  it('is not satisfied when one group is missing, however many approve', () => {
    const { check } = setup({ ...both, count: 2 });
    const result = check(
      { userId: 'U0SRE00002', groups: ['sre'] },
      { priorApprovals: [approved('U0SRE00001', ['sre'])] },
    );
    expect(result).toEqual({ ok: true, satisfied: false, counted: 2, needed: 2 });
  });

  it('does not let one person in both groups cover both', () => {
    expect(
      isApprovalSatisfied({
        approval: { ...both, count: 1 },
        approvals: [approved('U0BOTH0001', ['sre', 'security'])],
        requester: 'U0ONCALL01',
        actionHash: hash,
      }),
    ).toBe(false);
  });

  it('needs the total count as well as every group', () => {
    const approval = { ...both, count: 3 };
    const two = [approved('U0SRE00001', ['sre']), approved('U0SEC00001', ['security'])];
    const args = { approval, requester: 'U0ONCALL01', actionHash: hash };
    expect(isApprovalSatisfied({ ...args, approvals: two })).toBe(false);
    expect(isApprovalSatisfied({ ...args, approvals: [...two, approved('U0SRE00002', ['sre'])] })).toBe(true);
  });
});

describe('isApprovalSatisfied (the executor re-check)', () => {
  const args = { approval: twoOfSre, requester: 'U0ONCALL01', actionHash: hash };

  it('returns a plain boolean', () => {
    expect(
      isApprovalSatisfied({ ...args, approvals: [approved('U0APPROVE1'), approved('U0APPROVE2')] }),
    ).toBe(true);
    expect(isApprovalSatisfied({ ...args, approvals: [approved('U0APPROVE1')] })).toBe(false);
  });

  it('does not count the same person twice, the requester, or approvals for another action', () => {
    const dup = [approved('U0APPROVE1'), approved('U0APPROVE1')];
    expect(isApprovalSatisfied({ ...args, approvals: dup })).toBe(false);
    expect(
      isApprovalSatisfied({ ...args, approvals: [approved('U0APPROVE1'), approved('U0ONCALL01')] }),
    ).toBe(false);
    const other = [approved('U0APPROVE1'), approved('U0APPROVE2', sre, 'e'.repeat(64))];
    expect(isApprovalSatisfied({ ...args, approvals: other })).toBe(false);
  });

  it('takes self-approval from the spec, or from the explicit flag', () => {
    const withSelf = [approved('U0APPROVE1'), approved('U0ONCALL01')];
    expect(
      isApprovalSatisfied({
        ...args,
        approval: { ...twoOfSre, allowSelfApproval: true },
        approvals: withSelf,
      }),
    ).toBe(true);
    expect(isApprovalSatisfied({ ...args, approvals: withSelf, allowSelfApproval: true })).toBe(true);
  });

  it('is never satisfied when no group may approve', () => {
    expect(
      isApprovalSatisfied({
        ...args,
        approval: { ...twoOfSre, from: [], count: 1 },
        approvals: [approved('U0APPROVE1')],
      }),
    ).toBe(false);
  });
});
