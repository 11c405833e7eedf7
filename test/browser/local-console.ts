import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildServices, type Services } from '../../src/app/services.ts';
import { parseConfig } from '../../src/config/config.ts';
import { type LocalMode, startLocalMode } from '../../src/dev/local-mode.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createRedactor } from '../../src/shared/redact.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createLogCapture, repoRoot } from '../helpers/services.ts';

/** Debian's Chromium; `.ci/run` installs it with apt. Playwright never downloads a browser here. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** Launches Debian's Chromium headless through playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export type LocalWarden = {
  database: TestDatabase;
  services: Services;
  local: LocalMode;
  logs: ReturnType<typeof createLogCapture>;
  stop: () => Promise<void>;
};

/**
 * Local mode in-process, as `npm start` runs it without SLACK_BOT_TOKEN: real services on a fresh PGlite
 * database with the shipped charters and sandbox world, the real clock, the emulator and the console on a
 * free port.
 */
export async function startLocalWarden(): Promise<LocalWarden> {
  const database = await createTestDatabase('pglite');
  const config = parseConfig({
    env: {
      CHARTERS_DIR: `${repoRoot}/charters`,
      WARDEN_WORLD_FILE: `${repoRoot}/worlds/sandbox.yaml`,
      WARDEN_INSTANCE_ID: 'console-test',
      LOG_LEVEL: 'info',
      PORT: '0',
    },
  });
  const logs = createLogCapture();
  const redactor = createRedactor({ secrets: config.secrets });
  const logger = createLogger({ level: 'info', redactor, destination: logs.stream });
  const services = await buildServices({ config, database, logger, redactor });
  const local = await startLocalMode({ config, services, port: 0, pollMs: 100 });
  return {
    database,
    services,
    local,
    logs,
    stop: async () => {
      await local.stop();
      await services.close();
      await database.drop();
    },
  };
}

/** The page script has rendered its first view. */
export async function openConsole(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
}

/** A clock time as Slack shows it (`9:14 PM`) in `timeZone`, computed here without the page's script. */
export const clockIn = (date: Date, timeZone: string) =>
  date.toLocaleTimeString('en-US', { timeZone, hour: 'numeric', minute: '2-digit', hourCycle: 'h12' });

/** Acts as another person through the "who you are" switch. */
export async function becomePerson(page: Page, userId: string): Promise<void> {
  await page.click(`.person[data-user="${userId}"]`);
  await page.waitForSelector(`.person.active[data-user="${userId}"]`);
}

/** Types a line into the message box and sends it with Enter, as a person would. */
export async function typeInComposer(page: Page, text: string): Promise<void> {
  await page.fill('#composer-input', text);
  await page.press('#composer-input', 'Enter');
}
