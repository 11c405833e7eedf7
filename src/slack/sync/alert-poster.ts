import type { WebClient } from '@slack/web-api';
import type { Db } from '../../db/client.ts';
import { outsideDeadline } from '../../db/deadline.ts';
import type { Clock } from '../../shared/clock.ts';
import { outsideLogIds } from '../../shared/log-context.ts';
import type { Logger } from '../../shared/logger.ts';
import { alertMessage } from '../blocks/alert.blocks.ts';
import {
  claimMirror,
  findAlertsToPost,
  getMirror,
  markMirrorFailed,
  markMirrorPosted,
} from './sync.repository.ts';

/** Alerts older than this are not posted any more (a channel configured later does not get a flood). */
const POST_WITHIN_MS = 24 * 3_600_000;
const LEASE_MS = 30_000;
const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Posts `alert.raised` events to the alerts channel with the thread mirror's outbox discipline: Postgres
 * holds the alert first; each post is claimed in `audit_mirror` (keyed by the event's seq, so two
 * instances never post one alert twice); a failed or rate-limited post is retried with back-off, never lost.
 */
export function createAlertPoster({
  db,
  client,
  clock,
  logger,
  channel,
  pollMs = 1_000,
}: {
  db: Db;
  client: WebClient;
  clock: Clock;
  logger: Logger;
  /** `SLACK_ALERTS_CHANNEL`; without it alerts stay audit events and log lines only. */
  channel?: string;
  pollMs?: number;
}) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;

  async function tick(): Promise<void> {
    if (!channel) return;
    const now = clock.now();
    const due = await findAlertsToPost({
      db,
      since: new Date(now.getTime() - POST_WITHIN_MS),
      now,
      limit: 20,
    });
    for (const event of due) {
      const target = { event, channel, threadTs: '' };
      if (!(await claimMirror({ db, target, now: clock.now(), leaseMs: LEASE_MS }))) continue;
      try {
        const message = alertMessage({ event });
        const posted = await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
        const permalink = await client.chat
          .getPermalink({ channel, message_ts: posted.ts! })
          .then((r) => r.permalink ?? null)
          .catch(() => null);
        await markMirrorPosted({ db, seq: event.seq, messageTs: posted.ts!, permalink, now: clock.now() });
      } catch (error) {
        logger.warn({ seq: event.seq, err: error }, 'alert post failed; will retry');
        const attempts = (await getMirror({ db, seq: event.seq }).catch(() => null))?.attempts ?? 1;
        await markMirrorFailed({
          db,
          seq: event.seq,
          error: error instanceof Error ? error.message : String(error),
          retryAt: new Date(
            clock.now().getTime() + Math.min(1_000 * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS),
          ),
        });
      }
    }
  }

  /** Runs one pass now (or right after the pass in progress). */
  function kick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = outsideLogIds(() =>
      outsideDeadline(async () => {
        do {
          again = false;
          await tick().catch((error: unknown) => logger.warn({ err: error }, 'alert posting pass failed'));
        } while (again);
      }),
    ).finally(() => {
      running = null;
    });
    return running;
  }

  return {
    kick,
    start: (): void => {
      if (!channel) return;
      timer ??= setInterval(() => void kick(), pollMs);
      timer.unref();
    },
    stop: async (): Promise<void> => {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type AlertPoster = ReturnType<typeof createAlertPoster>;
