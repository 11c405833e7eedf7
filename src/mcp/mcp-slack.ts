import type { WebClient } from '@slack/web-api';
import { retrySlackCall } from '../slack/slack-retry.ts';
import type { SyncKickOptions } from '../slack/sync/slack-sync.ts';
import type { McpClient } from './mcp-auth.ts';
import type { McpTransportKind } from './mcp-run.ts';

/**
 * Where an MCP session shows in Slack: one message in a channel opens its thread, and the Slack sync
 * (which works from Postgres alone) fills that thread as it does a `/agent triage` run's: audit lines and
 * the approval cards of its calls, with Approve and Reject.
 */
export type McpSlackThread = {
  open: (input: {
    runId: string;
    client: McpClient;
    transport: McpTransportKind;
  }) => Promise<{ channel: string; ts: string }>;
  /**
   * Tells the sync worker there is something to post (a card waiting for approval); `threadOpenedFor`: the
   * session's thread was just recorded on its run, so the events from before it are posted in it too.
   */
  kick: (options?: SyncKickOptions) => void;
};

/** The Slack sync's kick (`createSlackSync`). */
export type McpSlackKick = (options?: SyncKickOptions) => Promise<void>;

/** Opens each session's thread with a message in `channel`, through the Web API client. */
export function createMcpSlackThread({
  client,
  channel,
  kick,
}: {
  client: WebClient;
  channel: string;
  kick: McpSlackKick;
}): McpSlackThread {
  return {
    open: async ({ runId, client: caller, transport }) => {
      const text = openingText({ runId, client: caller, transport });
      const posted = await retrySlackCall({ call: () => client.chat.postMessage({ channel, text }) });
      if (!posted.ts) throw new Error('Slack accepted the MCP session message but gave no ts');
      return { channel, ts: posted.ts };
    },
    kick: (options) => void kick(options).catch(() => {}),
  };
}

/** `:electric_plug: MCP session run_…: triage acting for @person (token mcp_…, over http)…`. */
export function openingText({
  runId,
  client,
  transport,
}: {
  runId: string;
  client: McpClient;
  transport: McpTransportKind;
}): string {
  return (
    `:electric_plug: MCP session \`${runId}\`: *${client.charter.agent}* acting for <@${client.onBehalfOf}> ` +
    `(client token \`${client.tokenId}\`, over ${transport}). Its tool calls go through the charter; ` +
    'what needs approval is posted in this thread.'
  );
}
