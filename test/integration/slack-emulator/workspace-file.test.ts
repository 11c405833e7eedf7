import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandboxPeople, createSlackEmulator } from '../../../src/dev/slack-emulator/index.ts';

const BOT_TOKEN = 'xoxb-workspace-file-test';
const people = createSandboxPeople();

describe('the emulator’s workspace file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-emulator-file-'));
  const file = join(dir, 'workspace.json');
  const stops: (() => Promise<void>)[] = [];
  beforeEach(() => {
    mkdirSync(dir, { recursive: true });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start({ clock, warnings = [] }: { clock: () => number; warnings?: string[] }) {
    const emulator = createSlackEmulator({
      signingSecret: 'secret',
      botToken: BOT_TOKEN,
      ...people,
      clock,
      workspaceFile: file,
      onWarning: (message) => warnings.push(message),
    });
    const { apiUrl } = await emulator.start();
    stops.push(() => emulator.stop());
    return {
      emulator,
      client: new WebClient(BOT_TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 } }),
    };
  }

  it('keeps messages, edits and threads, and never reuses a ts even if the clock went back', async () => {
    const first = await start({ clock: () => 1_800_000_000_000 });
    const parent = await first.client.chat.postMessage({ channel: people.ids.incidents, text: 'parent' });
    await first.client.chat.postMessage({
      channel: people.ids.incidents,
      text: 'reply',
      thread_ts: parent.ts!,
    });
    await first.client.chat.update({ channel: people.ids.incidents, ts: parent.ts!, text: 'parent, edited' });
    await first.emulator.stop();
    stops.splice(0);
    expect(readFileSync(file, 'utf8')).toContain('parent, edited');

    const second = await start({ clock: () => 1_700_000_000_000 });
    const kept = second.emulator.messages(people.ids.incidents);
    expect(kept.map((m) => [m.text, m.edited, m.threadTs])).toEqual([
      ['parent, edited', true, null],
      ['reply', false, parent.ts],
    ]);
    const next = await second.client.chat.postMessage({ channel: people.ids.incidents, text: 'after' });
    expect(Number(next.ts)).toBeGreaterThan(Number(kept.at(-1)!.ts));
  });

  it('moves a damaged file aside with a warning and starts empty', async () => {
    writeFileSync(file, '{"format": "something else"');
    const warnings: string[] = [];
    const { emulator } = await start({ clock: Date.now, warnings });
    expect(emulator.messages()).toEqual([]);
    expect(existsSync(`${file}.unreadable`)).toBe(true);
    expect(warnings).toEqual([expect.stringContaining('moved to')]);
  });
});
