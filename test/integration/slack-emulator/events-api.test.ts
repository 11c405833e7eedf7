import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startBoltApp, startEmulator } from './harness.ts';

type Started = Awaited<ReturnType<typeof startEmulator>>;

let s: Started;
let stopBolt: () => Promise<unknown>;
let messages: Record<string, any>[];
let homeOpens: Record<string, any>[];

beforeEach(async () => {
  s = await startEmulator();
  messages = [];
  homeOpens = [];
  const bolt = await startBoltApp({
    emulator: s.emulator,
    apiUrl: s.apiUrl,
    configure: (app) => {
      app.message(async ({ message }) => {
        messages.push(message as Record<string, any>);
      });
      app.event('app_home_opened', async ({ event }) => {
        homeOpens.push(event as Record<string, any>);
      });
    },
  });
  stopBolt = bolt.stop;
});
afterEach(async () => {
  await stopBolt();
  await s.emulator.stop();
});

describe('Events API', () => {
  it('delivers a person’s thread reply as a signed JSON message event and stores it in the thread', async () => {
    const parent = await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'Run started' });
    const result = await s.emulator.postUserMessage({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      text: 'also check the cache',
      threadTs: parent.ts as string,
    });
    expect(result.status).toBe(200);
    expect(result.request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(result.request.body)).toMatchObject({ type: 'event_callback', team_id: 'T0WARDEN' });
    await eventually(() => expect(messages).toHaveLength(1));
    expect(messages[0]).toMatchObject({
      type: 'message',
      channel: 'C0INCIDENT',
      user: 'U0ONCALL01',
      text: 'also check the cache',
      ts: result.ts,
      thread_ts: parent.ts,
      parent_user_id: 'U0WARDENBOT',
    });
    expect(s.emulator.thread('C0INCIDENT', parent.ts as string).map((m) => [m.user, m.text])).toEqual([
      ['U0WARDENBOT', 'Run started'],
      ['U0ONCALL01', 'also check the cache'],
    ]);
  });

  it('delivers app_home_opened with the published Home view', async () => {
    await s.client.views.publish({
      user_id: 'U0OWNER001',
      view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Agents' } }] },
    });
    const result = await s.emulator.openAppHome({ user: 'U0OWNER001' });
    expect(result.status).toBe(200);
    await eventually(() => expect(homeOpens).toHaveLength(1));
    expect(homeOpens[0]).toMatchObject({ type: 'app_home_opened', user: 'U0OWNER001', tab: 'home' });
    expect(homeOpens[0]?.view.id).toBe(s.emulator.homeView('U0OWNER001')?.id);
  });
});
