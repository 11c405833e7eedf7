import type { FetchFunction } from '@slack/web-api';
import { ALERT_ACTION } from '../observability/alerts.repository.ts';
import { createCountingSlackFetch } from '../observability/slack-metrics.ts';
import { createSlackApp, createSlackClient, type SlackAppOptions } from '../slack/app.ts';
import { claimSlackRequest, pruneSlackRequests } from '../slack/dedup.repository.ts';
import { createOncallDirectory } from '../slack/oncall.directory.ts';
import type { SlackDeps } from '../slack/slack.types.ts';
import { createAlertPoster } from '../slack/sync/alert-poster.ts';
import { createSlackSync, type SyncKickOptions } from '../slack/sync/slack-sync.ts';
import type { Services } from './services.ts';

/** Slack requests are remembered this long for de-duplication (the replay window is 300 s). */
const DEDUP_MEMORY_MS = 3_600_000;

/**
 * Wires the Slack layer onto the services: one Web API client, the Bolt app, and the sync worker that
 * mirrors Postgres into Slack. Nothing here decides policy.
 */
export function buildSlackSurface({
  services,
  options,
  auditChannel,
  alertsChannel = services.config.slack.alertsChannel,
  pollMs,
}: {
  services: Services;
  options: Omit<SlackAppOptions, 'logger'>;
  auditChannel?: string;
  /** Where behaviour alerts are posted; `SLACK_ALERTS_CHANNEL` unless given. */
  alertsChannel?: string;
  pollMs?: number;
}) {
  const { db, clock, logger } = services;
  // Every Slack call (the WebClient's, Bolt's and respond()) is counted for the metrics.
  const fetch = options.fetch ?? createCountingSlackFetch({ metrics: services.metrics });
  const { client, sync, deps } = buildSlackDeps({
    services,
    botToken: options.botToken,
    apiUrl: options.apiUrl,
    fetch,
    auditChannel,
    pollMs,
  });
  const slack = createSlackApp({
    options: {
      ...options,
      logger,
      fetch,
      admission: services.config.slack.admission,
      metrics: services.metrics,
    },
    deps,
  });
  const alertPoster = createAlertPoster({ db, client, clock, logger, channel: alertsChannel, pollMs });
  services.observability.feed.subscribe(({ event }) => {
    if (event.action === ALERT_ACTION) void alertPoster.kick();
  });
  const prune = setInterval(() => {
    void pruneSlackRequests({ db, before: new Date(clock.now().getTime() - DEDUP_MEMORY_MS) }).catch(
      () => {},
    );
  }, 600_000);
  prune.unref();
  return {
    slack,
    /** The sync worker, with the alert poster started, kicked and stopped alongside it. */
    sync: {
      kick: async (options?: SyncKickOptions) => {
        await Promise.all([sync.kick(options), alertPoster.kick()]);
      },
      start: () => {
        sync.start();
        alertPoster.start();
      },
      stop: async () => {
        await Promise.all([sync.stop(), alertPoster.stop()]);
      },
    },
    /**
     * Whether the sync worker polls on this thread: not while the run worker mirrors into Slack (where the
     * runs are); a kick still runs a pass here.
     */
    mirrorHere: (on: boolean) => {
      if (on) sync.start();
      else void sync.stop();
    },
    alertPoster,
    client,
    deps,
    stop: async () => {
      clearInterval(prune);
      await sync.stop();
      await alertPoster.stop();
      await slack.stop();
    },
  };
}

export type SlackSurface = ReturnType<typeof buildSlackSurface>;

/**
 * What the Slack listeners work with, without the Bolt app: one Web API client, the sync worker that mirrors
 * Postgres into Slack (not started here), the on-call directory and the listeners' deps. The serving thread's
 * surface is built on it, and so is the run worker's command handling (`run-worker.slack.ts`).
 */
export function buildSlackDeps({
  services,
  botToken,
  apiUrl,
  fetch,
  auditChannel,
  pollMs,
}: {
  services: Services;
  botToken: string;
  apiUrl?: string | undefined;
  fetch: FetchFunction;
  auditChannel?: string | undefined;
  pollMs?: number | undefined;
}) {
  const { db, clock, logger } = services;
  const client = createSlackClient({ botToken, apiUrl, logger, fetch });
  const oncall = createOncallDirectory({
    pagerduty: (connection) => services.systems.pagerduty(connection),
    client,
    clock,
    logger,
  });
  const sync = createSlackSync({
    db,
    client,
    clock,
    logger,
    registry: services.registry,
    approvals: services.approvals,
    auditChannel,
    pollMs,
    oncallFor: async ({ agent, from }) => {
      const charter = services.charters.get(agent);
      return charter ? oncall.statusOf({ charter, groups: from }) : [];
    },
  });
  const deps: SlackDeps = {
    db,
    clock,
    logger,
    redactor: services.redactor,
    audit: services.audit,
    charters: services.charters,
    registry: services.registry,
    runner: services.runner,
    approvals: services.approvals,
    killSwitch: services.killSwitch,
    breakerReset: services.breakerReset,
    sync,
    oncall,
    claimRequest: ({ key, kind }) => claimSlackRequest({ db, key, kind, now: clock.now() }),
  };
  return { client, sync, deps };
}
