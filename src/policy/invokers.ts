import type { CharterSpec } from './charter.schemas.ts';
import type { InvokeReasonCode } from './reasons.ts';

/**
 * The charter groups a person belongs to: listed by user ID, or a member of the group's Slack user group
 * (`usergroupMembers` maps a user group ID to its members, as the caller fetched them; absent = unknown, so
 * user-group membership counts for nothing). `oncallMembers` maps a group name to the Slack users on call
 * for its `oncall` source now, as the caller resolved them; absent = unknown, so on-call counts for nothing.
 */
export function resolveGroups({
  charter,
  userId,
  usergroupMembers = {},
  oncallMembers = {},
}: {
  charter: Pick<CharterSpec, 'groups'>;
  userId: string;
  usergroupMembers?: Record<string, readonly string[]>;
  oncallMembers?: Record<string, readonly string[]>;
}): string[] {
  const groups: string[] = [];
  for (const [name, group] of Object.entries(charter.groups)) {
    const viaUsergroup =
      group.slack_usergroup !== undefined &&
      Object.hasOwn(usergroupMembers, group.slack_usergroup) &&
      (usergroupMembers[group.slack_usergroup] ?? []).includes(userId);
    const viaOncall =
      group.oncall !== undefined &&
      Object.hasOwn(oncallMembers, name) &&
      (oncallMembers[name] ?? []).includes(userId);
    if (group.users.includes(userId) || viaUsergroup || viaOncall) groups.push(name);
  }
  return groups;
}

export type InvokeCheck = { ok: true } | { ok: false; reasonCode: InvokeReasonCode; message: string };

/**
 * Whether a person may start this agent from this channel: they must be listed under `invokers.users` or be in
 * a group under `invokers.groups` (`groups` = their charter groups, from `resolveGroups`), and when
 * `invokers.channels` is not empty the channel must be one of them (a missing channel never matches).
 */
export function mayInvoke({
  charter,
  userId,
  channelId,
  groups,
}: {
  charter: Pick<CharterSpec, 'agent' | 'invokers' | 'groups'>;
  userId: string;
  channelId: string | null | undefined;
  groups?: readonly string[];
}): InvokeCheck {
  const memberOf = groups ?? resolveGroups({ charter, userId });
  const { invokers } = charter;
  const listed = invokers.users.includes(userId) || invokers.groups.some((g) => memberOf.includes(g));
  if (!listed) {
    const who =
      invokers.groups.length > 0 ? `members of ${invokers.groups.join(' or ')}` : 'the people it lists';
    return {
      ok: false,
      reasonCode: 'invoker_not_allowed',
      message: `The ${charter.agent} charter lets only ${who} start this agent.`,
    };
  }
  if (invokers.channels.length > 0 && (!channelId || !invokers.channels.includes(channelId))) {
    const where = invokers.channels.map((c) => `<#${c}>`).join(', ');
    return {
      ok: false,
      reasonCode: 'channel_not_allowed',
      message: `The ${charter.agent} charter lets this agent run only in ${where}.`,
    };
  }
  return { ok: true };
}
