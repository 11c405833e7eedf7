import type { EmulatorChannel, EmulatorUser, Json, JsonObject, Workspace } from './emulator.types.ts';

/** Payload builders: what Slack sends to an app's Request URL. Pure. */

function userRef(workspace: Workspace, user: EmulatorUser): JsonObject {
  return { id: user.id, username: user.name, name: user.name, team_id: workspace.teamId };
}

function teamRef(workspace: Workspace): JsonObject {
  return { id: workspace.teamId, domain: workspace.teamDomain };
}

/** A slash command's form fields (sent form-encoded, every value a string). */
export function buildCommandPayload({
  workspace,
  user,
  channel,
  command,
  text,
  responseUrl,
  triggerId,
}: {
  workspace: Workspace;
  user: EmulatorUser;
  channel: EmulatorChannel;
  command: string;
  text: string;
  responseUrl: string;
  triggerId: string;
}): Record<string, string> {
  return {
    token: workspace.verificationToken,
    team_id: workspace.teamId,
    team_domain: workspace.teamDomain,
    channel_id: channel.id,
    channel_name: channel.name,
    user_id: user.id,
    user_name: user.name,
    command,
    text,
    api_app_id: workspace.appId,
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: triggerId,
  };
}

/** A `block_actions` payload for one button click in a message (or an ephemeral message). */
export function buildBlockActionsPayload({
  workspace,
  user,
  channel,
  messageTs,
  threadTs,
  isEphemeral,
  message,
  button,
  blockId,
  triggerId,
  responseUrl,
  actionTs,
}: {
  workspace: Workspace;
  user: EmulatorUser;
  channel: EmulatorChannel;
  messageTs: string;
  threadTs: string | null;
  isEphemeral: boolean;
  /** The message as Slack renders it; Slack leaves it out for ephemeral messages. */
  message: JsonObject | null;
  button: JsonObject;
  blockId: string;
  triggerId: string;
  responseUrl: string;
  actionTs: string;
}): JsonObject {
  const container: JsonObject = {
    type: 'message',
    message_ts: messageTs,
    channel_id: channel.id,
    is_ephemeral: isEphemeral,
  };
  if (threadTs !== null) container.thread_ts = threadTs;
  const action = buttonAction({ button, blockId, actionTs });
  const payload: JsonObject = {
    type: 'block_actions',
    user: userRef(workspace, user),
    api_app_id: workspace.appId,
    token: workspace.verificationToken,
    container,
    trigger_id: triggerId,
    team: teamRef(workspace),
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel.id, name: channel.name },
    state: { values: {} },
    response_url: responseUrl,
    actions: [action],
  };
  if (message !== null) payload.message = message;
  return payload;
}

/** The `actions[0]` of a button click. */
function buttonAction({
  button,
  blockId,
  actionTs,
}: {
  button: JsonObject;
  blockId: string;
  actionTs: string;
}): JsonObject {
  const action: JsonObject = {
    action_id: button.action_id ?? null,
    block_id: blockId,
    text: button.text ?? null,
    type: 'button',
    action_ts: actionTs,
  };
  if (button.value !== undefined) action.value = button.value;
  if (button.style !== undefined) action.style = button.style;
  return action;
}

/**
 * A `block_actions` payload for a click on the App Home tab: the container is the view, and Slack sends
 * no channel and no response_url.
 */
export function buildHomeBlockActionsPayload({
  workspace,
  user,
  view,
  button,
  blockId,
  triggerId,
  actionTs,
}: {
  workspace: Workspace;
  user: EmulatorUser;
  view: { id: string; view: JsonObject };
  button: JsonObject;
  blockId: string;
  triggerId: string;
  actionTs: string;
}): JsonObject {
  return {
    type: 'block_actions',
    user: userRef(workspace, user),
    api_app_id: workspace.appId,
    token: workspace.verificationToken,
    container: { type: 'view', view_id: view.id },
    trigger_id: triggerId,
    team: teamRef(workspace),
    enterprise: null,
    is_enterprise_install: false,
    view: { ...view.view, id: view.id, type: 'home' },
    actions: [buttonAction({ button, blockId, actionTs })],
  };
}

/** A `view_submission` payload: the open modal with the typed values in `state.values`. */
export function buildViewSubmissionPayload({
  workspace,
  user,
  view,
  stateValues,
  triggerId,
}: {
  workspace: Workspace;
  user: EmulatorUser;
  view: JsonObject;
  stateValues: Record<string, Record<string, Json>>;
  triggerId: string;
}): JsonObject {
  return {
    type: 'view_submission',
    team: teamRef(workspace),
    user: userRef(workspace, user),
    api_app_id: workspace.appId,
    token: workspace.verificationToken,
    trigger_id: triggerId,
    view: { ...view, state: { values: stateValues } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}
