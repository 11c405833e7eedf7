import type { WebClient } from '@slack/web-api';
import { resolveGroups } from '../policy/approval-validity.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * The charter groups a Slack user belongs to: listed users, plus members of the Slack user groups the
 * charter names (read through `usergroups.users.list` on every call, so removing someone takes effect at
 * once). If Slack cannot be asked, user-group membership counts as none: fail closed. `oncallMembers` are
 * the on-call groups' people as the caller resolved them (approvals only).
 */
export async function groupsOfUser({
  client,
  charter,
  userId,
  logger,
  oncallMembers,
}: {
  client: WebClient;
  charter: Charter;
  userId: string;
  logger: Logger;
  oncallMembers?: Record<string, readonly string[]>;
}): Promise<string[]> {
  const usergroupMembers: Record<string, string[]> = {};
  const usergroups = new Set(
    Object.values(charter.groups)
      .map((g) => g.slack_usergroup)
      .filter((id): id is string => id !== undefined),
  );
  for (const usergroup of usergroups) {
    try {
      const answer = await client.usergroups.users.list({ usergroup });
      usergroupMembers[usergroup] = answer.users ?? [];
    } catch (error) {
      logger.warn({ usergroup, err: error }, 'could not read a Slack user group; counting no members');
      usergroupMembers[usergroup] = [];
    }
  }
  return resolveGroups({ charter, userId, usergroupMembers, ...(oncallMembers ? { oncallMembers } : {}) });
}
