import { countApprovals, type RecordedApproval } from './approval-count.ts';
import type { CharterProblem } from './charter.references.ts';
import type { CharterSpec } from './charter.schemas.ts';

/**
 * Approval rules nobody could ever satisfy, which would leave every such proposal waiting until it expires:
 * more different people than the `from` groups hold, or (`groups_mode: all`) groups that cannot each be
 * covered by a different person. Each rule is judged as the approvals code counts at run time, given every
 * member's approval. A rule naming a group with a `slack_usergroup` or an `oncall` source is skipped: its
 * members are known only at run time. The requester, who may not approve their own action, varies, so is
 * not taken out.
 */
export function checkApprovalRules({ spec }: { spec: CharterSpec }): CharterProblem[] {
  const problems: CharterProblem[] = [];
  for (const [tool, toolSpec] of Object.entries(spec.tools)) {
    for (const [env, rule] of Object.entries(toolSpec.environments)) {
      if (typeof rule !== 'object') continue;
      const { count, from, groups_mode: groupsMode } = rule.approve;
      const members = new Map<string, readonly string[]>();
      for (const name of from) {
        const group = spec.groups[name];
        if (group && group.slack_usergroup === undefined && group.oncall === undefined)
          members.set(name, group.users);
      }
      if (members.size < new Set(from).size) continue;
      const best = countApprovals({
        approval: { count, from, groupsMode },
        approvals: everyoneApproves(members),
        requester: '',
        actionHash: 'any',
        allowSelfApproval: true,
      });
      if (best.satisfied) continue;
      const path = ['tools', tool, 'environments', env, 'approve'];
      problems.push(
        best.counted < best.needed
          ? { path: [...path, 'count'], message: tooFew({ count, available: best.counted, from }) }
          : { path: [...path, 'from'], message: sharedMembers(members) },
      );
    }
  }
  return problems;
}

function everyoneApproves(members: ReadonlyMap<string, readonly string[]>): RecordedApproval[] {
  return [...members].flatMap(([group, users]) =>
    users.map((approver) => ({ approver, groups: [group], actionHash: 'any', decision: 'approve' })),
  );
}

function tooFew({ count, available, from }: { count: number; available: number; from: readonly string[] }) {
  const people = `${available} ${available === 1 ? 'person' : 'people'}`;
  const who =
    from.length === 1
      ? `group "${from[0]}" has only ${people}`
      : `groups ${from.map((g) => `"${g}"`).join(', ')} have only ${people} between them`;
  return `asks for ${count} different people, but ${who}; lower count or add users to ${from.length === 1 ? 'the group' : 'a group'}`;
}

function sharedMembers(members: ReadonlyMap<string, readonly string[]>): string {
  const listed = [...members].map(([group, users]) => `${group}: ${users.join(', ')}`).join('; ');
  return (
    'with groups_mode all, each group needs a different approver, but these groups share too few ' +
    `people for that (${listed})`
  );
}
