import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxIds as people } from '../../src/dev/slack-emulator/index.ts';
import { repoRoot } from '../helpers/services.ts';
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

/** Where the walk leaves what a person saw: a card, a thread and `/agent status` (CI keeps `artifacts/`). */
export const SCREENSHOTS = join(repoRoot, 'artifacts', 'screenshots', 'after');
/** A reader far from UTC, so a time shown in UTC (or as ISO) cannot pass for theirs. */
const READER_ZONE = 'America/Los_Angeles';
/** A raw Slack user id, which a person should never have to read. */
const RAW_USER_ID = /\b[UW]0[A-Z0-9]{8}\b/;
/** Any time not written for the reader: an ISO stamp, or UTC named. */
const FOREIGN_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d|\bUTC\b/;
/** The machine fields of the old thread lines (`env=production proposal=prp_… counted=1`). */
const KEY_VALUE = /\b(env|proposal|tool|needed|counted|groups|instance|idempotencyKey|summary|state)=/;

/**
 * The README's "Try it" walk, as a person reads it in the local console: two cards (ticket and rollback),
 * the rollback approved by two people, the run's message in its final state, the thread as a story, and
 * `/agent status` agreeing with the side panel. Names, not ids; every time in the reader's own zone.
 */
describe.skipIf(!hasChromium)("the README's walk, read by a person", () => {
  let browser: Browser;
  let warden: LocalWarden;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    warden = await startLocalWarden();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: READER_ZONE });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.setDefaultTimeout(30_000);
    await openConsole(page, warden.local.url);
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await warden?.stop();
  });

  async function screenshot(node: Locator, name: string): Promise<void> {
    await node.evaluate((element) => element.scrollIntoView({ block: 'start' }));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  }

  /** The pending card for `tool`, once posted with its buttons. */
  async function pendingCard(tool: string): Promise<Locator> {
    const candidate = page
      .locator('#messages .msg', { has: page.locator('.b-header', { hasText: `: ${tool} in production` }) })
      .filter({ has: page.locator('.b-btn', { hasText: 'Approve' }) });
    await candidate.first().waitFor({ timeout: 60_000 });
    const ts = await candidate.first().getAttribute('data-ts');
    return page.locator(`#messages .msg[data-ts="${ts}"]`);
  }

  async function approveAs(card: Locator, person: string): Promise<void> {
    await becomePerson(page, person);
    await card.locator('.b-btn', { hasText: 'Approve' }).click();
    await page.locator('#confirm-root .modal.confirm').waitFor();
    await page.click('#confirm-ok');
  }

  /** Text a person reads in `node`: no raw ids, no key=value dumps, no time but their own. */
  async function expectReadable(node: Locator): Promise<string> {
    const text = (await node.innerText()).replace(/\s+/g, ' ');
    expect(text).not.toMatch(RAW_USER_ID);
    expect(text).not.toMatch(FOREIGN_TIME);
    return text;
  }

  it('walks triage → two cards → two approvals → final run message → story thread → status', async () => {
    await becomePerson(page, people.oncall);
    await typeInComposer(page, '/agent triage INC-123');

    // Both cards the README names, each headed with its tool; the arguments as fields, not JSON.
    const ticket = await pendingCard('create_ticket');
    const rollback = await pendingCard('rollback_deploy');
    const rollbackText = await expectReadable(rollback);
    expect(rollbackText).toContain('@oncall.olivia');
    expect(rollbackText).toMatch(/To version:?\s*v2\.13\.4/);
    expect(rollbackText).not.toMatch(/[{}]|"service"/);
    const ticketText = await expectReadable(ticket);
    expect(ticketText).toMatch(/Title:?/);
    expect(ticketText).not.toMatch(/\\n|[{}]/);
    // Its expiry in the reader's zone, as Slack would show it.
    const expires = rollback.locator('time.md-date').first();
    const at = new Date((await expires.getAttribute('datetime'))!);
    expect(await expires.textContent()).toContain(clockIn(at, READER_ZONE));
    await screenshot(rollback, 'card-pending');

    // Olivia is refused (she asked for it); Ana is 1 of 2, Ben 2 of 2: the rollback runs.
    await approveAs(rollback, people.oncall);
    await page
      .locator('#messages .msg-ephemeral', { hasText: /someone else|requester|own/i })
      .first()
      .waitFor();
    await approveAs(rollback, people.approvers[0]);
    await page
      .locator('#messages .msg-ephemeral', { hasText: /1 of 2/ })
      .first()
      .waitFor();
    await approveAs(rollback, people.approvers[1]);
    await rollback.locator('.b-header', { hasText: /^Done: rollback_deploy in production$/ }).waitFor({
      timeout: 60_000,
    });
    const doneText = await expectReadable(rollback);
    expect(doneText).toMatch(/Succeeded/);
    expect(doneText).toMatch(/Details in the thread/);
    expect(doneText).not.toMatch(/"pods"|[{}]/);
    await screenshot(rollback, 'card-done');

    // The run's message tells how the run ended and that the ticket still waits, for whom.
    const runMessage = page.locator('#messages .msg', { has: page.locator('.thread-link') }).first();
    await expect
      .poll(() => runMessage.innerText(), { timeout: 60_000 })
      .toMatch(/finished on\s+INC-123[\s\S]*1 proposal waits for approval from\s+sre-approvers/);
    await expect.poll(() => runMessage.innerText(), { timeout: 60_000 }).toMatch(/Proposals: 1 ran/);
    await expectReadable(runMessage);

    // The thread reads as a story: sentences with names, the machine fields beside them.
    await runMessage.locator('.thread-link').click();
    const thread = page.locator('#thread-messages');
    await thread
      .locator('.msg', { hasText: /your rollback of checkout to v2\.13\.4 in production succeeded/ })
      .first()
      .waitFor({ timeout: 60_000 });
    const story = await expectReadable(thread);
    expect(story).toMatch(
      /@approver\.ana approved the rollback of checkout to v2\.13\.4 in production \(1 of 2\)/,
    );
    expect(story).toMatch(
      /@approver\.ben approved the rollback of checkout to v2\.13\.4 in production \(2 of 2\)/,
    );
    expect(story).not.toMatch(KEY_VALUE);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(SCREENSHOTS, 'thread.png') });

    // /agent status counts the breakers the side panel lists, and says the ticket waits.
    await page.click('#thread-close');
    await typeInComposer(page, '/agent status');
    const status = page.locator('#messages .msg', {
      has: page.locator('.b-header', { hasText: 'Warden status' }),
    });
    await status.first().waitFor();
    const statusText = await expectReadable(status.first());
    const panelBreakers = await page.locator('#breakers .breaker').count();
    expect(panelBreakers).toBeGreaterThan(0);
    expect(statusText).toContain(`all ${panelBreakers} closed`);
    expect(statusText).toMatch(/Waiting for approval \(1\)/);
    await screenshot(status.first(), 'status');

    // #warden-audit has its own topic, and the chain head was anchored once the rollback settled.
    await page.click('.channel-link[data-channel="C0AUDITLOG"]');
    await expect.poll(() => page.locator('#channel-topic').textContent()).toMatch(/audit chain head/i);
    await page
      .locator('#messages .msg', { hasText: /settled its last action|Audit chain head/ })
      .first()
      .waitFor({ timeout: 60_000 });
    await page.click('.channel-link[data-channel="C0ALERTS01"]');
    await expect.poll(() => page.locator('#channel-topic').textContent()).toMatch(/alerts/i);
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
