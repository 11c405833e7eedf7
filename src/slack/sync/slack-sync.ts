import type { WebClient } from '@slack/web-api';
import type { Approvals } from '../../approvals/approvals.usecases.ts';
import type { Db } from '../../db/client.ts';
import { outsideDeadline } from '../../db/deadline.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import { retryWithBackoff } from '../../shared/retry.ts';
import type { ToolRegistry } from '../../tools/registry.ts';
import type { OncallStatus } from '../oncall.directory.ts';
import { isSlackError, isTransientSlackError } from '../slack-retry.ts';
import { createAnnouncer } from './announcer.ts';
import { syncCards } from './card-sync.ts';
import { anchorChainHead, anchorReason } from './chain-anchor.ts';
import { syncRunHeaders } from './run-header-sync.ts';
import {
  claimMirror,
  findEventsToMirror,
  firstLinkedSeqOfRun,
  getMirror,
  type MirrorTarget,
  markMirrorAbandoned,
  markMirrorFailed,
  markMirrorPosted,
  mirrorWatermarkAtStart,
  nextMirrorWatermark,
} from './sync.repository.ts';
import { threadMessage } from './thread-messages.ts';

/** Events read per pass of the thread mirror. */
const MIRROR_PAGE = 50;
/** How often the mirror reads the whole two-day window again instead of only what is new. */
const WATERMARK_RESET_MS = 10 * 60_000;
const MAX_RETRY_DELAY_MS = 60_000;

/** 1 s, 2 s, 4 s… up to a minute between attempts at one thread reply. */
const retryDelayMs = (attempts: number) => Math.min(1_000 * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS);

/** What a kick may ask of the pass besides running: `threadOpenedFor`, a run whose thread was just recorded. */
export type SyncKickOptions = { threadOpenedFor?: string };

export type SlackSyncDeps = {
  db: Db;
  client: WebClient;
  clock: Clock;
  logger: Logger;
  registry: ToolRegistry;
  approvals: Approvals;
  /**
   * Where the audit chain head is posted (anchoring it outside Postgres) when a run ends, and again when
   * the last action of an ended run settles.
   */
  auditChannel?: string;
  pollMs?: number;
  /** The on-call groups a pending proposal's approval rule names, resolved now (named on its card). */
  oncallFor?: (input: { agent: string; from: readonly string[] }) => Promise<OncallStatus[]>;
};

/**
 * Brings Slack in line with Postgres, which always commits first: announces kill switch changes in the
 * channel they were asked in, mirrors each run's audit events into its thread (both outboxes: a failed post
 * is retried, never lost), posts and updates proposal cards from the proposals' state and each run's
 * channel message from the run's (how it ended, what waits for whom), expires due
 * approvals, and anchors the audit chain head after each run and after its last action settles.
 * Safe on several instances: every post is claimed in the database first.
 */
export function createSlackSync(deps: SlackSyncDeps) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  const announcer = createAnnouncer(deps);

  async function tick(): Promise<void> {
    // Kill switch changes first: a channel must learn at once that everything stopped.
    await announcer.postDue().catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'could not post kill switch announcements');
    });
    await deps.approvals.expireDueProposals().catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'could not expire due proposals');
    });
    // Cards first: an approver waits on the card; the thread trail can follow a moment later.
    await syncCards(deps);
    await syncRunHeaders(deps).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'could not update run messages');
    });
    await mirrorEvents();
  }

  /** The mirror reads events after this seq (see `nextMirrorWatermark`); null until the first pass. */
  let watermark: number | null = null;
  let watermarkSetAt = 0;

  async function mirrorEvents(): Promise<void> {
    const now = deps.clock.now();
    // Read from the two-day window again now and then: a safety net that costs one wider scan.
    if (watermark === null || now.getTime() - watermarkSetAt > WATERMARK_RESET_MS) {
      watermark = await mirrorWatermarkAtStart({ db: deps.db, now });
      watermarkSetAt = now.getTime();
    }
    const after = watermark;
    const { head, targets } = await findEventsToMirror({ db: deps.db, now, after, limit: MIRROR_PAGE });
    // A thread stays in order: once one of its events cannot be posted now (waiting for a retry, or
    // being posted by another instance), its later events wait for the next pass.
    const heldBack = new Set<string>();
    const stillWaiting = new Set<number>();
    for (const target of targets) {
      const thread = `${target.channel}:${target.threadTs}`;
      const posted =
        !heldBack.has(thread) &&
        target.due &&
        (await claimMirror({ db: deps.db, target, now: deps.clock.now(), leaseMs: 30_000 })) &&
        (await mirrorOne(target));
      if (!posted) {
        heldBack.add(thread);
        stillWaiting.add(target.event.seq);
      }
    }
    // Another pass may have moved it meanwhile (a reset): only move on from where this one started.
    if (watermark === after) {
      watermark = nextMirrorWatermark({ after, head, targets, limit: MIRROR_PAGE, stillWaiting });
    }
  }

  /**
   * Posts one claimed event in its thread; false when it must be tried again later. A post Slack refuses
   * for good (the channel is gone, the bot was removed) is given up, so the thread goes on; Postgres keeps
   * the event either way.
   */
  async function mirrorOne(target: MirrorTarget): Promise<boolean> {
    try {
      // The chain head is anchored before the thread line that ends the run (or settles its last action):
      // if either post fails, both are tried again, so the anchor may be posted twice (each a true head)
      // but the thread line only once.
      const why = deps.auditChannel ? await anchorReason({ db: deps.db, event: target.event }) : null;
      if (why && deps.auditChannel) {
        const { db, client, auditChannel } = deps;
        await anchorChainHead({ db, client, auditChannel, event: target.event, why });
      }
      const message = await threadMessage({ db: deps.db, event: target.event });
      const posted = await deps.client.chat.postMessage({
        channel: target.channel,
        thread_ts: target.threadTs,
        text: message.text,
        blocks: message.blocks,
      });
      const permalink = await deps.client.chat
        .getPermalink({ channel: target.channel, message_ts: posted.ts! })
        .then((r) => r.permalink ?? null)
        .catch(() => null);
      // Posted: recorded, tried again while the database is away (unrecorded, the reply would be posted
      // again once the claim lapses).
      await retryWithBackoff({
        attempt: () =>
          markMirrorPosted({
            db: deps.db,
            seq: target.event.seq,
            messageTs: posted.ts!,
            permalink,
            now: deps.clock.now(),
          }),
        attempts: 5,
      });
      return true;
    } catch (error) {
      const said = error instanceof Error ? error.message : String(error);
      // Only Slack's own refusal is for good; the database's failures (and Slack's passing ones) are not.
      if (isSlackError(error) && !isTransientSlackError(error)) {
        deps.logger.error(
          { seq: target.event.seq, channel: target.channel, err: error },
          'Slack refused a thread reply for good; the event stays in the audit log',
        );
        await markMirrorAbandoned({ db: deps.db, seq: target.event.seq, error: said });
        return true;
      }
      deps.logger.warn({ seq: target.event.seq, err: error }, 'thread reply failed; will retry');
      const attempts = (await getMirror({ db: deps.db, seq: target.event.seq }))?.attempts ?? 1;
      await markMirrorFailed({
        db: deps.db,
        seq: target.event.seq,
        error: said,
        retryAt: new Date(deps.clock.now().getTime() + retryDelayMs(attempts)),
      });
      return false;
    }
  }

  /**
   * Makes the mirror read again from a run's first linked event: a run whose thread was recorded after it
   * started (an MCP session's) had events the passes went by while it had no thread. When that cannot be
   * read, the next pass starts from the two-day window, which covers it too.
   */
  async function rewindFor(runId: string): Promise<void> {
    try {
      const first = await firstLinkedSeqOfRun({ db: deps.db, runId });
      if (first !== null && watermark !== null) watermark = Math.min(watermark, first - 1);
    } catch (error) {
      deps.logger.warn(
        { err: error, runId },
        'could not find where a new thread starts; reading the window again',
      );
      watermark = null;
    }
  }

  /**
   * Runs one pass now (or right after the pass in progress). `threadOpenedFor`: a run whose Slack thread
   * was just recorded, whose earlier events the pass posts in it.
   */
  async function kick({ threadOpenedFor }: SyncKickOptions = {}): Promise<void> {
    if (threadOpenedFor) await outsideDeadline(() => rewindFor(threadOpenedFor));
    if (running) {
      again = true;
      return running;
    }
    // A pass kicked by a request serves everyone: it is not bound by that request's deadline.
    running = outsideDeadline(async () => {
      do {
        again = false;
        await tick().catch((error: unknown) => deps.logger.warn({ err: error }, 'slack sync pass failed'));
      } while (again);
    }).finally(() => {
      running = null;
    });
    return running;
  }

  return {
    kick,
    start: () => {
      timer ??= setInterval(() => void kick(), deps.pollMs ?? 1_000);
      timer.unref();
    },
    stop: async () => {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type SlackSync = ReturnType<typeof createSlackSync>;
