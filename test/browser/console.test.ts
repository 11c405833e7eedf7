import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxServices } from '../../src/app/schema.ts';
import { sandboxIds as people } from '../../src/dev/slack-emulator/index.ts';
import { repoRoot } from '../helpers/services.ts';
import {
  becomePerson,
  CHROMIUM,
  hasChromium,
  type LocalWarden,
  launchChromium,
  openConsole,
  startLocalWarden,
  typeInComposer,
} from './local-console.ts';

export const SCREENSHOT = join(repoRoot, 'artifacts', 'console.png');

if (!hasChromium) {
  console.warn(
    `Skipping the browser tests: ${CHROMIUM} is missing. Install it with "apt-get install -y chromium" (.ci/run does).`,
  );
}

describe.skipIf(!hasChromium)('the local console in Chromium', () => {
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
    context = await browser.newContext({ viewport: { width: 1680, height: 1000 } });
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

  /** The rollback approval card in the channel, once Warden has posted it with its buttons. */
  async function rollbackCard(): Promise<{ ts: string; card: Locator }> {
    const candidate = page
      .locator('#messages .msg', { has: page.locator('.b-header', { hasText: 'rollback_deploy' }) })
      .filter({ has: page.locator('.b-btn', { hasText: 'Approve' }) });
    await candidate.first().waitFor({ timeout: 45_000 });
    const ts = (await candidate.first().getAttribute('data-ts'))!;
    return { ts, card: page.locator(`#messages .msg[data-ts="${ts}"]`) };
  }

  /** Clicks a card button and accepts its confirm dialog when it has one (production actions do). */
  async function clickAndConfirm(card: Locator, label: 'Approve' | 'Reject') {
    await card.locator('.b-btn', { hasText: label }).click();
    const dialog = page.locator('#confirm-root .modal.confirm');
    if (label === 'Approve') {
      await dialog.waitFor();
      await expect(page.locator('#confirm-title').textContent()).resolves.toBe('Approve this action?');
      await page.click('#confirm-ok');
    }
  }

  const ephemeral = (pattern: RegExp) =>
    page.locator('#messages .msg-ephemeral').filter({ hasText: pattern });

  async function checkoutVersion(): Promise<string | undefined> {
    const [row] = await warden.services.db
      .select({ version: sandboxServices.version })
      .from(sandboxServices)
      .where(and(eq(sandboxServices.environment, 'production'), eq(sandboxServices.name, 'checkout')));
    return row?.version;
  }

  it('triage, refused self-approval, two approvers, updated card, filled thread and audit panel', async () => {
    await becomePerson(page, people.oncall);
    await typeInComposer(page, '/agent triage INC-123');
    const { card } = await rollbackCard();
    await expect(card.locator('.b-btn').allTextContents()).resolves.toEqual(['Approve', 'Reject']);
    await expect(card.locator('.b-btn-primary').textContent()).resolves.toBe('Approve');
    await expect(card.locator('.b-btn-danger').textContent()).resolves.toBe('Reject');
    expect(await card.textContent()).toContain('v2.13.4');
    expect(await card.locator('.mention.user').first().textContent()).toBe('@oncall.olivia');

    // The requester cannot approve their own action; only they see why.
    await clickAndConfirm(card, 'Approve');
    const refusal = ephemeral(/someone else|requester|own/i);
    await refusal.first().waitFor();
    expect(await refusal.first().textContent()).toContain('Only visible to you');

    // An approver does not see Olivia's ephemeral; the first approval is 1 of 2.
    await becomePerson(page, people.approvers[0]);
    await expect(ephemeral(/someone else|requester|own/i).count()).resolves.toBe(0);
    await clickAndConfirm(card, 'Approve');
    await ephemeral(/1 of 2/)
      .first()
      .waitFor();
    expect(await checkoutVersion()).toBe('v2.14.0');

    // The second approver completes 2 of 2: the rollback really runs and the card loses its buttons.
    await becomePerson(page, people.approvers[1]);
    await clickAndConfirm(card, 'Approve');
    await card
      .locator('.b-header', { hasText: /^Done: rollback_deploy in production$/ })
      .waitFor({ timeout: 30_000 });
    // Approve and Reject are gone; a decided card offers only to keep it as an eval case.
    await expect(card.locator('.b-btn').allTextContents()).resolves.toEqual(['Keep as eval case']);
    expect(await card.textContent()).toMatch(/Succeeded/);
    expect(await card.locator('.msg-edited').count()).toBe(1);
    expect(await checkoutVersion()).toBe('v2.13.4');

    // The run's thread holds the trail, ending with the requester told the result.
    const runMessage = page.locator('#messages .msg', { has: page.locator('.thread-link') }).first();
    await runMessage.locator('.thread-link').click();
    const thread = page.locator('#thread-messages');
    await thread
      .locator('.msg', { hasText: '@oncall.olivia, your rollback of checkout' })
      .first()
      .waitFor({ timeout: 30_000 });
    const trail = await thread.textContent();
    for (const action of ['run.started', 'proposal.decided', 'approval.refused', 'approval.recorded']) {
      expect(trail).toContain(action);
    }
    expect(await page.locator('.thread-link').first().textContent()).toMatch(/^\d+ replies$/);

    // The side panel shows this run's audit trail from Postgres, and the kill switch released.
    await expect(page.locator('#run-sub').textContent()).resolves.toBe('(this thread)');
    await page
      .locator('#audit .audit-event[data-action="execution.succeeded"][data-tool="rollback_deploy"]')
      .waitFor();
    const actions = await page.locator('#audit .audit-action').allTextContents();
    expect(actions).toEqual(expect.arrayContaining(['run.started', 'approval.refused', 'approval.recorded']));
    expect(await page.locator('#kill').textContent()).toContain('Released');
    expect(await page.locator('#breakers .breaker').count()).toBeGreaterThan(0);

    mkdirSync(join(repoRoot, 'artifacts'), { recursive: true });
    await card.evaluate((node) => node.scrollIntoView({ block: 'start' }));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: SCREENSHOT });
  }, 180_000);

  it('/agent kill typed in the console cancels a pending approval on the page', async () => {
    await becomePerson(page, people.oncall);
    await typeInComposer(page, '/agent triage INC-123');
    const { card } = await rollbackCard();
    await becomePerson(page, people.outsider);
    await typeInComposer(page, '/agent kill triage runaway rollbacks');
    await card.locator('.b-header', { hasText: /^Cancelled: rollback_deploy/ }).waitFor({ timeout: 30_000 });
    await expect(card.locator('.b-btn').count()).resolves.toBe(0);
    expect(await card.textContent()).toContain('Cancelled by the kill switch');
    await page
      .locator('#messages .msg', { hasText: 'runaway rollbacks' })
      .filter({ hasText: /kill/i })
      .first()
      .waitFor();
    await page.locator('#kill[data-engaged="true"]').waitFor();
    expect(await page.locator('#kill').textContent()).toContain('runaway rollbacks');
    expect(await checkoutVersion()).toBe('v2.14.0');
  }, 180_000);

  it('Reject opens the reason modal; submitting it rejects the action with that reason', async () => {
    await becomePerson(page, people.oncall);
    await typeInComposer(page, '/agent triage INC-123');
    const { card } = await rollbackCard();
    await becomePerson(page, people.approvers[0]);
    await card.locator('.b-btn', { hasText: 'Reject' }).click();
    const modal = page.locator('#modal-root form.modal');
    await modal.waitFor();
    expect(await modal.locator('h3').textContent()).toBe('Reject action');
    await modal.locator('textarea[data-block-id="reason"]').fill('roll forward instead <b>not bold</b>');
    await modal.locator('button[type="submit"]').click();
    await modal.waitFor({ state: 'detached' });
    await card.locator('.b-header', { hasText: /^Rejected: rollback_deploy/ }).waitFor({ timeout: 30_000 });
    // Approve and Reject are gone; a decided card offers only to keep it as an eval case.
    await expect(card.locator('.b-btn').allTextContents()).resolves.toEqual(['Keep as eval case']);
    expect(await card.textContent()).toContain('roll forward instead <b>not bold</b>');
    expect(await card.locator('.mention.user').allTextContents()).toContain('@approver.ana');
    expect(await checkoutVersion()).toBe('v2.14.0');
  }, 180_000);

  it('shows hostile text as text: nothing in a message becomes markup or runs', async () => {
    const attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    await becomePerson(page, people.outsider);
    await typeInComposer(page, `look ${attack} *bold*`);
    // Warden-side text (model output, incident text) arrives as mrkdwn through the Web API.
    await warden.local.surface.client.chat.postMessage({
      channel: people.incidents,
      text: 'fallback',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: `Header ${attack}` } },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `Planner said: ${attack} <javascript:alert(1)|click me> &lt;b&gt;` },
          fields: [{ type: 'mrkdwn', text: `*Field* ${attack}` }],
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: `Go ${attack}`.slice(0, 75) },
              action_id: 'evil',
              value: `"><img src=x onerror="window.__pwned=3">`,
            },
          ],
        },
      ],
    });
    const messages = page.locator('#messages');
    await messages.locator('.msg', { hasText: 'Planner said:' }).waitFor();
    await messages.locator('.msg', { hasText: 'look <img' }).waitFor();
    expect(await messages.locator('img, script, a[href^="javascript"]').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await messages.textContent()).toContain('<script>window.__pwned=2</script>');
    expect(await messages.locator('.msg', { hasText: 'Planner said:' }).textContent()).toContain(
      'click me <b>',
    );
    await expect(
      messages.locator('.msg', { hasText: 'look <img' }).locator('strong').textContent(),
    ).resolves.toBe('bold');
  }, 120_000);
});
