import type { ApprovalRequirement } from './decide.types.ts';

/** One recorded approver decision, as stored in the approvals table. */
export type RecordedApproval = {
  approver: string;
  /** The charter groups the approver belonged to when deciding. */
  groups: readonly string[];
  actionHash: string;
  /** `approve` or `reject`; anything else never counts. */
  decision: string;
};

export type ApprovalCount = { satisfied: boolean; counted: number; needed: number };

/**
 * Counts the approvals that hold for an action: decision `approve`, bound to this action hash, from a person in
 * one of the required groups, never the requester (unless self-approval is allowed), each person once.
 * With `groupsMode: 'all'` every group must be covered by a different person (a bipartite matching, so one
 * person in two groups cannot cover both) and the total must still reach `count`.
 */
export function countApprovals({
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
}): ApprovalCount {
  const selfAllowed = allowSelfApproval ?? approval.allowSelfApproval ?? false;
  const required = new Set(approval.from);
  // person → the required groups they cover (union over their rows)
  const people = new Map<string, Set<string>>();
  for (const a of approvals) {
    if (a.decision !== 'approve' || a.actionHash !== actionHash) continue;
    if (a.approver === requester && !selfAllowed) continue;
    const covered = a.groups.filter((g) => required.has(g));
    if (covered.length === 0) continue;
    const groups = people.get(a.approver) ?? new Set<string>();
    for (const g of covered) groups.add(g);
    people.set(a.approver, groups);
  }
  const counted = people.size;
  const needed = Math.max(1, approval.count);
  const groupsCovered =
    approval.groupsMode === 'all' ? maxMatching({ groups: [...required], people }) === required.size : true;
  return { satisfied: required.size > 0 && groupsCovered && counted >= needed, counted, needed };
}

/** Size of a maximum matching of groups to distinct people (Kuhn's augmenting paths; inputs are tiny). */
function maxMatching({ groups, people }: { groups: string[]; people: Map<string, Set<string>> }): number {
  const personOf = new Map<string, string>(); // group → person covering it
  const groupOf = new Map<string, string>(); // person → group they cover
  const tryAssign = (group: string, seen: Set<string>): boolean => {
    for (const [person, covers] of people) {
      if (!covers.has(group) || seen.has(person)) continue;
      seen.add(person);
      const taken = groupOf.get(person);
      if (taken === undefined || tryAssign(taken, seen)) {
        groupOf.set(person, group);
        personOf.set(group, person);
        return true;
      }
    }
    return false;
  };
  let size = 0;
  for (const group of groups) if (tryAssign(group, new Set())) size += 1;
  return size;
}
