import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServices, type Services } from '../../../src/app/services.ts';
import { parseConfig } from '../../../src/config/config.ts';
import { type LocalMode, localWorkspaceFile, startLocalMode } from '../../../src/dev/local-mode.ts';
import { sandboxIds as people } from '../../../src/dev/slack-emulator/index.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { createLogCapture, repoRoot } from '../../helpers/services.ts';
import { buttonsOf, waitFor } from '../../helpers/slack-harness.ts';

// `npm start` without SLACK_BOT_TOKEN, twice on one data directory: the console's channels, threads and
// pending cards come back after a restart, and a card kept from before still works.

type Local = { services: Services; local: LocalMode; stop: () => Promise<void> };

async function startLocal(dataDir: string): Promise<Local> {
  const config = parseConfig({
    env: {
      CHARTERS_DIR: `${repoRoot}/charters`,
      WARDEN_WORLD_FILE: `${repoRoot}/worlds/sandbox.yaml`,
      WARDEN_DATA_DIR: dataDir,
      WARDEN_INSTANCE_ID: 'console-history',
      LOG_LEVEL: 'info',
      PORT: '0',
    },
  });
  const redactor = createRedactor({ secrets: config.secrets });
  const logger = createLogger({ level: 'info', redactor, destination: createLogCapture().stream });
  const services = await buildServices({ config, logger, redactor });
  const local = await startLocalMode({
    config,
    services,
    port: 0,
    pollMs: 50,
    workspaceFile: localWorkspaceFile(config),
  });
  let stopped: Promise<void> | undefined;
  return {
    services,
    local,
    stop: () => {
      stopped ??= local.stop().then(() => services.close());
      return stopped;
    },
  };
}

describe('local mode keeps the console’s workspace across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-console-history-'));
  const running: Local[] = [];
  afterEach(async () => {
    for (const local of running.splice(0)) await local.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const channel = people.incidents;
  const rollbackCard = (local: Local) =>
    local.local.emulator
      .messages(channel)
      .find(
        (m) => m.threadTs === null && m.text.includes('rollback_deploy') && buttonsOf(m).includes('Approve'),
      );

  it('shows the channel, the thread and the pending card again, and Approve still works', async () => {
    const first = await startLocal(dataDir);
    running.push(first);
    await first.local.emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    const card = await waitFor(() => rollbackCard(first), { what: 'the rollback card', timeoutMs: 60_000 });
    const before = first.local.emulator.messages();
    const threadBefore = before.filter((m) => m.threadTs !== null).length;
    expect(threadBefore).toBeGreaterThan(0);
    await first.stop();
    running.splice(0);

    const file = join(dataDir, 'slack-emulator-workspace.json');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain(card.ts);

    const second = await startLocal(dataDir);
    running.push(second);
    const emulator = second.local.emulator;
    // Everything posted before the restart is there, in order, with the card's buttons.
    const after = emulator.messages();
    expect(after.map((m) => m.ts)).toEqual(before.map((m) => m.ts));
    expect(buttonsOf(emulator.messages(channel).find((m) => m.ts === card.ts)!)).toEqual([
      'Approve',
      'Reject',
    ]);
    expect(
      emulator.thread(channel, before.find((m) => m.threadTs !== null)!.threadTs!).length,
    ).toBeGreaterThan(1);

    // The console shows them (its HTTP API renders the emulator's workspace).
    const view = await fetch(
      `${second.local.url}console/api/view?channel=${channel}&as=${people.approvers[0]}`,
    );
    const html = ((await view.json()) as { channelHtml: string }).channelHtml;
    expect(html).toContain(`data-ts="${card.ts}"`);
    expect(html).toContain('rollback_deploy');

    // New messages get a ts after the kept ones.
    const posted = await second.local.surface.client.chat.postMessage({ channel, text: 'after the restart' });
    expect(Number(posted.ts)).toBeGreaterThan(Number(after.at(-1)!.ts));

    // The kept card's Approve reaches the restarted Warden and counts.
    await emulator.clickButton({
      user: people.approvers[0],
      channel,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    await waitFor(() => emulator.ephemerals(people.approvers[0]).find((e) => /1 of 2/.test(e.text)), {
      what: 'approval 1 of 2',
      timeoutMs: 30_000,
    });
    const updated = await waitFor(
      () =>
        emulator.messages(channel).find((m) => m.ts === card.ts && m.history.length > card.history.length),
      { what: 'the kept card updated in place', timeoutMs: 30_000 },
    );
    expect(updated.text).not.toBe('');
    expect(emulator.messages(channel).filter((m) => rollbackCard(second)?.ts === m.ts)).toHaveLength(1);
  }, 240_000);
});
