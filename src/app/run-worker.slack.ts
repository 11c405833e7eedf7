import type { RespondFn, SlashCommand } from '@slack/bolt';
import type { FetchFunction } from '@slack/web-api';
import { createCountingSlackFetch } from '../observability/slack-metrics.ts';
import { handleAgentCommand } from '../slack/listeners/commands.ts';
import type { Services } from './services.ts';
import { buildSlackDeps } from './slack-surface.ts';

/** A slash command the serving thread acked and handed over (`run-worker.messages.ts`). */
export type HandedCommand = { command: SlashCommand; requestKey?: string; receivedAtMs?: number };

/** The Slack work of the run worker thread: acked commands handed over, and the mirror into Slack. */
export type WorkerSlack = {
  handle: (handed: HandedCommand) => Promise<void>;
  /** Starts the sync worker's polling here (the serving thread's stops polling while this one runs). */
  start: () => void;
  stop: () => Promise<void>;
};

/**
 * The run worker's side of Slack: the serving thread acks `/agent …` and hands the command here, so what it
 * starts (the status reads, Slack posts, a triage run) runs on this thread, never between two acks; and the
 * sync worker that mirrors runs, cards and announcements into Slack polls here, where the runs are. The
 * work is the serving thread's own (`handleAgentCommand`, `createSlackSync`) on this instance's connections
 * and Web API client: the same de-duplication claim, deadline, checks and answers. A triage it starts is
 * this instance's run. Null when Slack is not configured (no command can arrive then).
 */
export function createWorkerSlack({ services }: { services: Services }): WorkerSlack | null {
  const { botToken, apiUrl, auditChannel } = services.config.slack;
  if (!botToken) return null;
  const fetch = createCountingSlackFetch({ metrics: services.metrics });
  const { client, sync, deps } = buildSlackDeps({ services, botToken, apiUrl, fetch, auditChannel });
  return {
    handle: async ({ command, requestKey, receivedAtMs }) => {
      services.logger.info({ command: commandWord(command.text) }, 'slash command handled in the run worker');
      await handleAgentCommand({
        deps,
        command,
        client,
        respond: respondThrough({ url: command.response_url, fetch }),
        ...(requestKey ? { requestKey } : {}),
        // This thread's clock has its own origin: the arrival is carried over in epoch milliseconds.
        ...(receivedAtMs !== undefined ? { receivedAt: receivedAtMs - performance.timeOrigin } : {}),
      });
    },
    start: sync.start,
    stop: sync.stop,
  };
}

/** Bolt's `respond()` for a command handled off its thread: a JSON POST to the command's response_url. */
function respondThrough({ url, fetch }: { url: string; fetch: FetchFunction }): RespondFn {
  return async (message) => {
    const body = typeof message === 'string' ? { text: message } : message;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`Slack answered ${response.status} to the command's response_url`);
    return response;
  };
}

/** The command's first word for the log when it is one of ours in shape; whatever else was typed is not logged. */
function commandWord(text: string): string {
  const word = text.trim().split(/\s+/)[0] ?? '';
  if (word === '') return 'help';
  return /^[a-z]{1,12}$/.test(word) ? word : 'other';
}
