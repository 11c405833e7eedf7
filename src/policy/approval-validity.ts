import { type ApprovalCount, countApprovals, type RecordedApproval } from './approval-count.ts';
import type { ApprovalRequirement, KillView, OpenBreaker } from './decide.types.ts';
import { breakerOpenMessage, killSwitchMessage } from './messages.ts';
import type { ApprovalReasonCode } from './reasons.ts';

export type { ApprovalCount, RecordedApproval } from './approval-count.ts';
export { mayInvoke, resolveGroups } from './invokers.ts';

/**
 * Who clicked: their charter groups, and the on-call groups whose members could not be resolved just now
 * (PagerDuty or Slack could not say), which count as no membership: fail closed, saying why.
 */
export type Approver = {
  userId: string;
  groups: readonly string[];
  unresolved?: readonly { group: string; reason: string }[];
};

export type ApprovalCheck =
  | { ok: false; reasonCode: ApprovalReasonCode; message: string }
  | ({ ok: true } & ApprovalCount);

export type PendingProposal = {
  requester: string;
  state: string;
  actionHash: string;
  charterHash: string;
  /** null never happens for a pending proposal; treated as already expired (fail closed). */
  expiresAt: Date | null;
  /** null when the proposal never asked for approval. */
  approval: ApprovalRequirement | null;
};

/**
 * Whether one Approve (or Reject) click may count, and where the count stands with it. Pure; checks in order:
 * pending → not expired → same action → same charter → kill switch → breakers → not the requester → in a
 * required group → not already decided by this person. A reject is checked only for pending, expiry and
 * group (the requester may withdraw their own action); stopping an action is never blocked by the kill
 * switch or a breaker.
 */
export function checkApproval({
  proposal,
  currentActionHash,
  currentCharterHash,
  approver,
  priorApprovals,
  kill,
  openBreakers,
  now,
  decision = 'approve',
}: {
  proposal: PendingProposal;
  currentActionHash: string;
  currentCharterHash: string;
  approver: Approver;
  priorApprovals: readonly RecordedApproval[];
  kill: KillView;
  openBreakers: readonly OpenBreaker[];
  now: Date;
  decision?: 'approve' | 'reject';
}): ApprovalCheck {
  const spec = proposal.approval;
  if (proposal.state !== 'pending' || !spec) {
    const what = spec ? `it is ${proposal.state}` : 'it never asked for approval';
    return refuse('approval.not_pending', `This action is no longer waiting for approval: ${what}.`);
  }
  if (!proposal.expiresAt || now.getTime() >= proposal.expiresAt.getTime()) {
    // ISO, as the audit keeps it; on the way to Slack `withSlackDates` shows it in each reader's time zone.
    const when = proposal.expiresAt ? ` at ${proposal.expiresAt.toISOString()}` : '';
    return refuse(
      'approval.expired',
      `The approval window closed${when}; nothing was run and the action must be proposed again.`,
    );
  }
  const isRequester = approver.userId === proposal.requester;
  const inGroup = approver.groups.some((g) => spec.from.includes(g));
  const alreadyDecided = priorApprovals.some((a) => a.approver === approver.userId);
  const counted = () =>
    countApprovals({
      approval: spec,
      approvals: priorApprovals,
      requester: proposal.requester,
      actionHash: proposal.actionHash,
    });
  if (decision === 'reject') {
    if (!inGroup && !isRequester) return notInGroup({ spec, approver, verb: 'reject' });
    if (alreadyDecided)
      return refuse('approval.already_approved', 'You have already decided on this action.');
    return { ok: true, ...counted(), satisfied: false };
  }
  if (currentActionHash !== proposal.actionHash) {
    return refuse(
      'approval.action_changed',
      'The action changed after it was proposed (tool, arguments or environment), so it needs a fresh approval.',
    );
  }
  if (currentCharterHash !== proposal.charterHash) {
    return refuse(
      'approval.charter_changed',
      'The charter changed after this action was proposed, so it needs a fresh approval under the new charter.',
    );
  }
  if (kill.engaged) return refuse('kill_switch', killSwitchMessage({ kill }));
  const breaker = openBreakers[0];
  if (breaker)
    return refuse('breaker_open', breakerOpenMessage({ breaker, subject: 'nothing can be approved' }));
  if (isRequester && !spec.allowSelfApproval) {
    return refuse('approval.self_approval', 'You requested this action; someone else must approve it.');
  }
  if (!inGroup) return notInGroup({ spec, approver, verb: 'approve' });
  if (alreadyDecided) {
    return refuse(
      'approval.already_approved',
      'You have already approved this action; the next approval must come from someone else.',
    );
  }
  const withThis: RecordedApproval = {
    approver: approver.userId,
    groups: approver.groups,
    actionHash: proposal.actionHash,
    decision: 'approve',
  };
  const count = countApprovals({
    approval: spec,
    approvals: [...priorApprovals, withThis],
    requester: proposal.requester,
    actionHash: proposal.actionHash,
  });
  return { ok: true, ...count };
}

/**
 * The executor's own re-check (defence in depth): do the recorded approvals satisfy the requirement for this
 * exact action? Returns a plain boolean so `if (!isApprovalSatisfied(…))` reads right.
 */
export function isApprovalSatisfied({
  approval,
  approvals,
  requester,
  actionHash,
  allowSelfApproval,
}: {
  approval: Pick<ApprovalRequirement, 'count' | 'from' | 'groupsMode'> & { allowSelfApproval?: boolean };
  approvals: readonly RecordedApproval[];
  requester: string;
  actionHash: string;
  allowSelfApproval?: boolean;
}): boolean {
  return countApprovals({ approval, approvals, requester, actionHash, allowSelfApproval }).satisfied;
}

/** Not in a required group; when an on-call group of the rule could not be resolved, that is the reason. */
function notInGroup({
  spec,
  approver,
  verb,
}: {
  spec: ApprovalRequirement;
  approver: Approver;
  verb: 'approve' | 'reject';
}): ApprovalCheck {
  const unknown = (approver.unresolved ?? []).filter((u) => spec.from.includes(u.group));
  if (unknown.length === 0) return refuse('approval.not_in_group', notInGroupMessage(spec, verb));
  const why = unknown.map((u) => `${u.group}: ${u.reason}`).join('; ');
  return refuse(
    'approval.oncall_unresolved',
    `Warden could not tell who is on call (${why}), so your click did not count and nothing was run. Try again in a minute.`,
  );
}

function notInGroupMessage(spec: ApprovalRequirement, verb: 'approve' | 'reject'): string {
  if (spec.from.length === 0) return `The charter names no group that may ${verb} this action.`;
  return `Only members of ${spec.from.join(spec.groupsMode === 'all' ? ' and ' : ' or ')} can ${verb} this action.`;
}

function refuse(reasonCode: ApprovalReasonCode, message: string): ApprovalCheck {
  return { ok: false, reasonCode, message };
}
