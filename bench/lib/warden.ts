import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import type { WebClient } from '@slack/web-api';
import { createHttpServer } from '../../src/app/http.ts';
import { buildServices, type Services } from '../../src/app/services.ts';
import { buildSlackSurface, type SlackSurface } from '../../src/app/slack-surface.ts';
import { parseConfig } from '../../src/config/config.ts';
import type { Database } from '../../src/db/client.ts';
import {
  createSandboxPeople,
  createSlackEmulator,
  type SlackEmulator,
} from '../../src/dev/slack-emulator/index.ts';
import type { Charter } from '../../src/policy/charter.schemas.ts';
import { insertRun, type RunRow } from '../../src/runs/runs.repository.ts';
import { newId } from '../../src/shared/ids.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createRedactor } from '../../src/shared/redact.ts';
import { repoRoot } from './process.ts';

export const SIGNING_SECRET = 'bench-signing-secret-5b2f9c41';
export const BOT_TOKEN = 'xoxb-bench-0000000000-warden';
/** The sandbox workspace's people and channels (U0ONCALL01 may invoke, U0APPROVE1 may approve…). */
export const people = createSandboxPeople().ids;

/** A pino destination that throws lines away: logging still costs what it costs, nothing is kept. */
function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

/**
 * Warden's real services (buildServices: guard, approvals, kill switch, runner…) on an open, migrated
 * database, with the shipped charters and sandbox world, the system clock and info-level logs discarded.
 */
export async function buildBenchServices({
  database,
  instanceId,
  sandboxWriteDelayMs = 0,
  charters,
  slackApiUrl,
}: {
  database: Database;
  instanceId: string;
  sandboxWriteDelayMs?: number;
  charters?: Charter[];
  slackApiUrl?: string;
}): Promise<Services> {
  const config = parseConfig({
    env: {
      CHARTERS_DIR: `${repoRoot}/charters`,
      WARDEN_WORLD_FILE: `${repoRoot}/worlds/sandbox.yaml`,
      WARDEN_INSTANCE_ID: instanceId,
      LOG_LEVEL: 'info',
      ...(slackApiUrl
        ? { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slackApiUrl }
        : {}),
    },
  });
  const redactor = createRedactor({ secrets: config.secrets });
  const logger = createLogger({ level: 'info', redactor, destination: discard() });
  return buildServices({
    config,
    database,
    logger,
    redactor,
    sandboxWriteDelayMs,
    ...(charters ? { charters } : {}),
  });
}

/** The Slack emulator with the sandbox workspace, listening on 127.0.0.1. */
export async function startEmulator(): Promise<{ emulator: SlackEmulator; apiUrl: string }> {
  const emulator = createSlackEmulator({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    ...createSandboxPeople(),
  });
  const { apiUrl } = await emulator.start();
  return { emulator, apiUrl };
}

export type SlackWarden = {
  services: Services;
  surface: SlackSurface;
  server: Server;
  url: string;
  stop: () => Promise<void>;
};

/**
 * One Warden instance as `src/main.ts` wires it in HTTP mode: services, the Bolt app on `POST /slack/events`
 * and the sync worker (default poll interval), with the Web API pointed at the emulator.
 */
export async function startSlackWarden({
  database,
  emulator,
  apiUrl,
}: {
  database: Database;
  emulator: SlackEmulator;
  apiUrl: string;
}): Promise<SlackWarden> {
  const services = await buildBenchServices({ database, instanceId: 'bench-slack', slackApiUrl: apiUrl });
  const surface = buildSlackSurface({
    services,
    options: {
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      apiUrl,
      botUserId: emulator.workspace.botUserId,
    },
    auditChannel: people.audit,
  });
  const server = createHttpServer({ routes: { 'POST /slack/events': surface.slack.handleHttp } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  surface.sync.start();
  return {
    services,
    surface,
    server,
    url,
    stop: async () => {
      await surface.stop();
      await new Promise((resolve) => server.close(resolve));
      await services.close();
    },
  };
}

/**
 * A running triage run on `incidentId` with a thread in #incidents, as `/agent triage` leaves it: the run
 * message is posted through `client` (to the emulator) and the run row inserted with its channel and ts.
 */
export async function openBenchRun({
  services,
  client,
  incidentId,
}: {
  services: Services;
  client: WebClient;
  incidentId: string;
}): Promise<RunRow> {
  const charter = services.charters.get('triage')!;
  const root = await client.chat.postMessage({
    channel: people.incidents,
    text: `bench: triage ${incidentId}`,
  });
  return services.db.transaction((tx) =>
    insertRun({
      tx,
      run: {
        id: newId('run'),
        agent: 'triage',
        charterHash: charter.hash,
        requester: people.oncall,
        incidentId,
        state: 'running',
        slackChannel: people.incidents,
        slackThreadTs: root.ts!,
        startedAt: services.clock.now(),
      },
    }),
  );
}
