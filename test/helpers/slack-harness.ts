import type { Server } from 'node:http';
import { eq } from 'drizzle-orm';
import type { Planner } from '../../src/agents/planner.types.ts';
import { createHttpServer } from '../../src/app/http.ts';
import { proposals } from '../../src/app/schema.ts';
import { buildSlackSurface, type SlackSurface } from '../../src/app/slack-surface.ts';
import type { Catalog } from '../../src/catalog/catalog.ts';
import type { Database, Db } from '../../src/db/client.ts';
import {
  createSandboxPeople,
  createSlackEmulator,
  type SlackEmulator,
} from '../../src/dev/slack-emulator/index.ts';
import type { Charter } from '../../src/policy/charter.schemas.ts';
import type { ManualClock } from '../../src/shared/clock.ts';
import { createTestServices, type TestServices } from './services.ts';

export const SIGNING_SECRET = 'test-signing-secret-7d1c0e9a';
export const BOT_TOKEN = 'xoxb-test-0000000000-warden';
export const APP_TOKEN = 'xapp-1-A0WARDEN-0000000000-test';
export const people = createSandboxPeople().ids;

/** The environment of a Warden process in workspace mode, on `databaseUrl`, talking to the emulator at `apiUrl`. */
export function workspaceEnv({
  databaseUrl,
  apiUrl,
  instanceId,
}: {
  databaseUrl: string;
  apiUrl: string;
  instanceId: string;
}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: apiUrl,
    WARDEN_INSTANCE_ID: instanceId,
  };
}

export type WardenInstance = { services: TestServices; surface: SlackSurface; server: Server; url: string };

/** Starts one Warden instance (services + Bolt app + sync worker + HTTP server) against the emulator. */
export async function startWarden({
  database,
  emulator,
  apiUrl,
  instanceId,
  clock,
  charters,
  sandboxWriteDelayMs,
  appToken,
  env = {},
  planner,
  catalog,
}: {
  database: Database;
  emulator: SlackEmulator;
  apiUrl: string;
  instanceId: string;
  clock?: ManualClock;
  charters?: Charter[];
  sandboxWriteDelayMs?: number;
  /** Also connect to the emulator over Socket Mode with this app-level token. */
  appToken?: string;
  /** More environment for the instance, e.g. OPENAI_BASE_URL to use the OpenAI planner. */
  env?: Record<string, string>;
  /** The planner for agent runs (by default the one the config picks). */
  planner?: Planner;
  /** A service catalog: the instance's tools act on the real systems it names. */
  catalog?: Catalog;
}): Promise<WardenInstance> {
  const services = await createTestServices({
    database,
    instanceId,
    charters,
    sandboxWriteDelayMs,
    planner,
    ...(catalog ? { catalog } : {}),
    ...(clock ? { clock } : {}),
    env: {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: apiUrl,
      // The suite loads the machine, and embedded PGlite runs on this same thread: a late event loop here
      // is the test's doing, not a reason to refuse its requests as busy. The delay signal is tested with
      // a probe of its own (`test/integration/slack/admission.test.ts`); the in-flight bound stays as set.
      WARDEN_SLACK_MAX_EVENT_LOOP_DELAY_MS: '2500',
      ...env,
    },
  });
  const surface = buildSlackSurface({
    services,
    options: {
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      apiUrl,
      botUserId: emulator.workspace.botUserId,
      ...(appToken ? { appToken } : {}),
    },
    auditChannel: people.audit,
    pollMs: 50,
  });
  const server = createHttpServer({ routes: { 'POST /slack/events': surface.slack.handleHttp } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  surface.sync.start();
  await surface.slack.startSocketMode();
  return { services, surface, server, url };
}

export async function stopWarden(instance: WardenInstance): Promise<void> {
  await instance.surface.stop();
  await new Promise((resolve) => instance.server.close(resolve));
  await instance.services.close();
}

/** The emulator with the sandbox workspace. */
export async function startEmulator({ appToken }: { appToken?: string } = {}): Promise<{
  emulator: SlackEmulator;
  apiUrl: string;
}> {
  const emulator = createSlackEmulator({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    ...(appToken ? { appToken } : {}),
    ...createSandboxPeople(),
  });
  const { apiUrl } = await emulator.start();
  return { emulator, apiUrl };
}

/** The emulator and one Warden instance wired to each other: what most Slack end-to-end tests start with. */
export async function startSlack({
  database,
  instanceId,
  ...options
}: {
  database: Database;
  instanceId: string;
} & Omit<Parameters<typeof startWarden>[0], 'database' | 'emulator' | 'apiUrl' | 'instanceId'>): Promise<{
  emulator: SlackEmulator;
  warden: WardenInstance;
}> {
  const { emulator, apiUrl } = await startEmulator();
  const warden = await startWarden({ database, emulator, apiUrl, instanceId, ...options });
  emulator.setWardenUrl(warden.url);
  return { emulator, warden };
}

/** Stops what `startSlack` started, Warden first. */
export async function stopSlack({ emulator, warden }: { emulator: SlackEmulator; warden: WardenInstance }) {
  await stopWarden(warden);
  await emulator.stop();
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last !== undefined && last !== null && last !== false) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
}

/**
 * The proposal whose card Slack shows at `ts`. Its ts is stored once chat.postMessage has answered, a moment
 * after the emulator shows the card, so the row is waited for.
 */
export function proposalOfCard(db: Db, ts: string) {
  return waitFor(async () => (await db.select().from(proposals).where(eq(proposals.slackTs, ts)))[0], {
    what: `the proposal of card ${ts}`,
  });
}

/** The approval card of a proposal in a channel (its buttons carry the proposal id), once it is posted. */
export function cardOf(emulator: SlackEmulator, channel: string, proposalId: string) {
  return emulator
    .messages(channel)
    .find((m) => JSON.stringify(m.blocks).includes(`"value":"${proposalId}"`) && m.ts);
}

/** Every text in a message's blocks, flattened, for assertions. */
export function blockText(message: { text: string; blocks: unknown[] }): string {
  return `${message.text}\n${JSON.stringify(message.blocks)}`;
}

/** Button texts of a message. */
export function buttonsOf(message: { blocks: unknown[] }): string[] {
  const out: string[] = [];
  for (const block of message.blocks as {
    type: string;
    elements?: { type: string; text?: { text: string } }[];
  }[]) {
    if (block.type !== 'actions') continue;
    for (const el of block.elements ?? []) if (el.type === 'button' && el.text) out.push(el.text.text);
  }
  return out;
}
