import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '../../shared/ids.ts';
import type { SlackMessage } from '../blocks/elements.ts';
import type { SlackDeps } from '../slack.types.ts';
import { type AnnouncementState, readAnnouncementState } from '../sync/announcements.repository.ts';

/** How long a command waits for the sync worker to announce its change before telling the person. */
const ANNOUNCE_WAIT_MS = 4_000;
const POLL_MS = 100;

type Reply = { text: string; blocks?: unknown[] };

/** A new announcement for the channel a command came from; recorded with the change it announces. */
export function newAnnouncement({ channel }: { channel: string }): { channel: string; id: string } {
  return { channel, id: newId('ann') };
}

/**
 * The change is committed and its announcement is in the outbox, which the sync worker posts (on any
 * instance, retried until Slack takes it). If it is not in the channel within a few seconds, the person
 * is told privately what was done, and whether Warden is still trying.
 */
export async function confirmAnnounced({
  deps,
  tell,
  id,
  message,
  done,
}: {
  deps: Pick<SlackDeps, 'db' | 'clock' | 'logger'>;
  tell: (reply: Reply) => Promise<unknown>;
  id: string;
  /** What the channel will see, shown to the person instead while it is not there. */
  message: SlackMessage;
  /** What was done, as a sentence start: "The kill switch is engaged". */
  done: string;
}): Promise<void> {
  const deadline = Date.now() + ANNOUNCE_WAIT_MS;
  let state: AnnouncementState | null = null;
  for (;;) {
    state = await readAnnouncementState({
      db: deps.db,
      id,
      since: new Date(deps.clock.now().getTime() - 3_600_000),
    }).catch(() => state);
    if (state === 'posted') return;
    if (state === 'failed' || Date.now() >= deadline) break;
    await sleep(POLL_MS);
  }
  deps.logger.warn({ announcement: id, state }, 'the announcement is not in the channel yet');
  const note =
    state === 'failed'
      ? `:warning: ${done}, but Slack refused the announcement in this channel (is Warden a member?); please tell the others.`
      : `:warning: ${done}. Slack has not accepted the announcement in this channel yet; Warden keeps trying and posts it as soon as Slack does.`;
  await tell({
    text: `${note} ${message.text}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: note } }, ...message.blocks],
  });
}
