import { readString } from '../params.ts';
import { EMULATOR_DOMAIN, renderConversation, renderUser, resolveConversation } from '../slack-render.ts';
import { type MethodHandler, slackError } from './method.types.ts';

/** auth.test: who the bot token belongs to (Bolt calls it once on its first request). */
export const authTest: MethodHandler = ({ workspace }) => ({
  ok: true,
  url: `https://${EMULATOR_DOMAIN}.slack.com/`,
  team: 'Warden Emulator',
  user: 'warden',
  team_id: workspace.teamId,
  user_id: workspace.botUserId,
  bot_id: workspace.botId,
  is_enterprise_install: false,
});

/** users.info: a workspace member, or the bot itself. */
export const usersInfo: MethodHandler = ({ params, workspace }) => {
  const id = readString(params, 'user');
  const bot = { id: workspace.botUserId, name: 'warden', realName: 'Warden' };
  const user = id === workspace.botUserId ? bot : workspace.users.find((u) => u.id === id);
  if (!user) return slackError('user_not_found');
  return { ok: true, user: renderUser({ user, workspace }) };
};

/**
 * users.lookupByEmail (scope `users:read.email`): the member with that e-mail, compared case-insensitively;
 * `users_not_found` when nobody has it, as Slack answers.
 */
export const usersLookupByEmail: MethodHandler = ({ params, workspace }) => {
  const email = readString(params, 'email');
  if (!email) return slackError('invalid_arguments');
  const user = workspace.users.find((u) => u.email?.toLowerCase() === email.toLowerCase());
  if (!user) return slackError('users_not_found');
  return { ok: true, user: renderUser({ user, workspace }) };
};

/** usergroups.users.list: member ids of a user group. */
export const usergroupsUsersList: MethodHandler = ({ params, workspace }) => {
  const group = workspace.usergroups.find((g) => g.id === readString(params, 'usergroup'));
  if (!group) return slackError('no_such_subteam');
  return { ok: true, users: [...group.users] };
};

/** conversations.info: a channel or DM. */
export const conversationsInfo: MethodHandler = ({ params, workspace }) => {
  const conversation = resolveConversation(workspace, readString(params, 'channel'));
  if (!conversation) return slackError('channel_not_found');
  return { ok: true, channel: renderConversation({ conversation }) };
};
