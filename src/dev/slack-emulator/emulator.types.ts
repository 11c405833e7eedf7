/** Shapes shared by the Slack emulator's files. Slack's own JSON stays loosely typed (`Json`). */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A member; `email` is what `users.lookupByEmail` finds (Slack's `users:read.email` scope). */
export type EmulatorUser = { id: string; name: string; realName?: string; email?: string };
export type EmulatorUsergroup = { id: string; handle: string; users: string[] };
/** A channel of the emulated workspace; its topic shows under its name (and in `conversations.info`). */
export type EmulatorChannel = { id: string; name: string; topic?: string };

export type SlackEmulatorOptions = {
  signingSecret: string;
  botToken: string;
  /** The app-level token (`xapp-…`) that may open Socket Mode connections; without it none can. */
  appToken?: string;
  /** Where Warden listens; requests go to `POST <wardenUrl>/slack/events`. Settable later. */
  wardenUrl?: string;
  teamId?: string;
  appId?: string;
  botUserId?: string;
  botId?: string;
  users: EmulatorUser[];
  usergroups: EmulatorUsergroup[];
  channels: EmulatorChannel[];
  /** Milliseconds since the epoch; drives ts values, request timestamps and expiries. */
  clock?: () => number;
  /**
   * A JSON file that keeps the channels' messages and the App Homes across restarts (the local console);
   * without it the workspace lives in memory only.
   */
  workspaceFile?: string;
  /** Told when the workspace file cannot be read or saved (the emulator carries on without it). */
  onWarning?: (message: string) => void;
};

/** The workspace facts every part of the emulator reads. */
export type Workspace = {
  teamId: string;
  teamDomain: string;
  appId: string;
  botUserId: string;
  botId: string;
  botToken: string;
  appToken: string | null;
  verificationToken: string;
  users: EmulatorUser[];
  usergroups: EmulatorUsergroup[];
  channels: EmulatorChannel[];
};

/** A message version as it was before an edit. */
export type MessageVersion = { text: string; blocks: JsonObject[]; editedAt: number };

export type StoredMessage = {
  channel: string;
  ts: string;
  /** Parent ts for a thread reply; null for a top-level message. */
  threadTs: string | null;
  text: string;
  blocks: JsonObject[];
  user: string;
  botId: string | null;
  metadata: JsonObject | null;
  replyBroadcast: boolean;
  edited: boolean;
  history: MessageVersion[];
  postedAt: number;
};

export type StoredEphemeral = {
  channel: string;
  user: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: JsonObject[];
  source: 'chat.postEphemeral' | 'response_url';
  edited: boolean;
  history: MessageVersion[];
  postedAt: number;
};

export type StoredView = {
  id: string;
  user: string;
  view: JsonObject;
  openedAt: number;
  /** The trigger it was opened with (modals only). */
  triggerId: string | null;
};

export type ApiCall = {
  method: string;
  params: Record<string, Json>;
  at: number;
  status: number;
  ok: boolean;
  error: string | null;
};

/** Who a response_url belongs to, and which message it can replace. */
export type ResponseUrlContext = {
  id: string;
  user: string;
  channel: string;
  /** The message the interaction came from (clicks only). */
  messageTs: string | null;
  threadTs: string | null;
  isEphemeral: boolean;
  issuedAt: number;
  uses: number;
};

export type ResponseUrlPost = {
  id: string;
  user: string;
  channel: string;
  body: Json;
  at: number;
  status: number;
  error: string | null;
};

export type EmulatorChange =
  | { kind: 'message_posted'; message: StoredMessage }
  | { kind: 'message_updated'; message: StoredMessage }
  | { kind: 'message_deleted'; channel: string; ts: string }
  | { kind: 'ephemeral_posted'; ephemeral: StoredEphemeral }
  | { kind: 'ephemeral_updated'; ephemeral: StoredEphemeral }
  | { kind: 'ephemeral_deleted'; user: string; ts: string }
  | { kind: 'view_opened'; view: StoredView }
  | { kind: 'view_updated'; view: StoredView }
  | { kind: 'view_closed'; user: string; viewId: string }
  | { kind: 'home_published'; view: StoredView }
  | { kind: 'response_url_post'; post: ResponseUrlPost }
  | { kind: 'api_call'; call: ApiCall };

/** An exact HTTP request the emulator sent to Warden, replayable byte for byte. */
export type SentRequest = { url: string; body: string; headers: Record<string, string> };

export type SendResult = {
  status: number;
  body: string;
  /** Wall-clock milliseconds until Warden answered. */
  ackMs: number;
  request: SentRequest;
};

/** What became of the modal: Slack closes it on an empty answer, keeps it on errors or a failed request. */
export type ViewOutcome = 'closed' | 'cleared' | 'kept_with_errors' | 'updated' | 'pushed' | 'kept';

export type SubmitResult = SendResult & {
  /** The parsed answer; an empty body counts as `{}` (Slack treats both as "close the modal"). */
  json: Json;
  viewOutcome: ViewOutcome;
};
