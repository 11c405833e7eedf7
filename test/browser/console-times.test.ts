import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxIds as people } from '../../src/dev/slack-emulator/index.ts';
import { slackDate } from '../../src/slack/blocks/mrkdwn.ts';
import {
  becomePerson,
  clockIn,
  hasChromium,
  type LocalWarden,
  launchChromium,
  openConsole,
  startLocalWarden,
  typeInComposer,
} from './local-console.ts';

describe.skipIf(!hasChromium)('times in the local console, as Slack shows them', () => {
  let browser: Browser;
  let warden: LocalWarden;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    warden = await startLocalWarden();
    // Tokyo has no daylight saving time, so the expected texts hold all year.
    context = await browser.newContext({ viewport: { width: 1400, height: 700 }, timezoneId: 'Asia/Tokyo' });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.setDefaultTimeout(20_000);
    await openConsole(page, warden.local.url);
  });
  afterEach(async () => {
    await context?.close();
    await warden?.stop();
    expect(pageErrors).toEqual([]);
  });

  const post = (text: string) =>
    warden.local.surface.client.chat.postMessage({ channel: people.incidents, text });

  it('shows <!date> tokens and message times in the browser’s time zone, never the UTC fallback', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const old = new Date('2021-12-05T14:14:00Z');
    const posted = await post(`Opened ${slackDate(old)}; checked ${slackDate(now)}.`);
    const message = page.locator(`#messages .msg[data-ts="${posted.ts}"]`);
    await message.waitFor();
    const dates = message.locator('.msg-body time.md-date');
    await expect(dates.allTextContents()).resolves.toEqual([
      'Dec 5, 2021 11:14 PM',
      `Today ${clockIn(now, 'Asia/Tokyo')}`,
    ]);
    const time = await message.locator('.msg-meta .msg-time').textContent();
    expect(time).toBe(clockIn(new Date(Number(posted.ts) * 1000), 'Asia/Tokyo'));
    expect(await page.locator('#messages').textContent()).not.toMatch(/UTC|\d{4}-\d\d-\d\dT/);
  }, 120_000);

  it('jumps to the newest message after the person sends one, as Slack does', async () => {
    for (let i = 1; i <= 40; i += 1) await post(`Backlog line ${i}`);
    const messages = page.locator('#messages');
    await messages.locator('.msg', { hasText: 'Backlog line 40' }).waitFor();
    await messages.evaluate((node) => {
      node.scrollTop = 0;
    });
    await becomePerson(page, people.outsider);
    await typeInComposer(page, 'anyone looking at checkout?');
    const mine = messages.locator('.msg', { hasText: 'anyone looking at checkout?' });
    await mine.waitFor();
    const gapBelow = () =>
      messages.evaluate((node) => node.scrollHeight - node.scrollTop - node.clientHeight);
    await expect.poll(gapBelow, { timeout: 20_000 }).toBeLessThan(4);
    const box = await mine.boundingBox();
    const pane = await messages.boundingBox();
    expect(box && pane && box.y + box.height <= pane.y + pane.height + 1).toBe(true);
  }, 120_000);
});
