import type { WebClient } from '@slack/web-api';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import { killChangeAnnouncement } from '../blocks/kill.blocks.ts';
import { resetAnnouncement } from '../blocks/reset.blocks.ts';
import { isTransientSlackError } from '../slack-retry.ts';
import { findAnnouncementsToPost } from './announcements.repository.ts';
import {
  claimMirror,
  getMirror,
  markMirrorAbandoned,
  markMirrorFailed,
  markMirrorPosted,
} from './sync.repository.ts';

/** Changes older than this are not announced any more (the person was told privately long ago). */
const ANNOUNCE_WITHIN_MS = 24 * 3_600_000;
/**
 * How long a claim keeps other instances off one announcement. Longer than one chat.postMessage can take
 * with the WebClient's own retries, so a slow post is not posted a second time by another instance.
 */
const LEASE_MS = 120_000;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Posts the announcement of each kill switch change (`kill.engaged`, `kill.released`) and breaker reset
 * (`breaker.reset`) in the channel its
 * command came from, from the committed audit event alone. Each post is claimed in the `audit_mirror`
 * outbox first (keyed by the event's seq, so two instances never post one twice); a failed post is retried
 * with back-off until Slack takes it, and the message link is stored. In one channel they appear in order:
 * a later change waits while an earlier one is waiting for its retry.
 */
export function createAnnouncer({
  db,
  client,
  clock,
  logger,
}: {
  db: Db;
  client: WebClient;
  clock: Clock;
  logger: Logger;
}) {
  async function postDue(): Promise<void> {
    const now = clock.now();
    const targets = await findAnnouncementsToPost({
      db,
      since: new Date(now.getTime() - ANNOUNCE_WITHIN_MS),
      now,
      limit: 20,
    });
    const heldBack = new Set<string>();
    for (const { event, channel, due } of targets) {
      if (heldBack.has(channel)) continue;
      const claimed =
        due &&
        (await claimMirror({
          db,
          target: { event, channel, threadTs: '' },
          now: clock.now(),
          leaseMs: LEASE_MS,
        }));
      if (!claimed) {
        heldBack.add(channel);
        continue;
      }
      const message =
        event.action === 'breaker.reset' ? resetAnnouncement({ event }) : killChangeAnnouncement({ event });
      let ts: string;
      try {
        const posted = await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
        ts = posted.ts!;
      } catch (error) {
        const said = error instanceof Error ? error.message : String(error);
        if (!isTransientSlackError(error)) {
          logger.error(
            { seq: event.seq, channel, err: error },
            'Slack refused the kill switch announcement for good',
          );
          await markMirrorAbandoned({ db, seq: event.seq, error: said });
          continue;
        }
        logger.warn({ seq: event.seq, channel, err: error }, 'kill switch announcement failed; will retry');
        const attempts = (await getMirror({ db, seq: event.seq }))?.attempts ?? 1;
        const delay = Math.min(1_000 * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS);
        await markMirrorFailed({
          db,
          seq: event.seq,
          error: said,
          retryAt: new Date(clock.now().getTime() + delay),
        });
        heldBack.add(channel);
        continue;
      }
      const permalink = await client.chat
        .getPermalink({ channel, message_ts: ts })
        .then((r) => r.permalink ?? null)
        .catch(() => null);
      await markMirrorPosted({ db, seq: event.seq, messageTs: ts, permalink, now: clock.now() });
    }
  }

  return { postDue };
}

export type Announcer = ReturnType<typeof createAnnouncer>;
