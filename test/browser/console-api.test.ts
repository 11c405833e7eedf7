import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxIds as people } from '../../src/dev/slack-emulator/index.ts';
import { waitFor } from '../helpers/slack-harness.ts';
import { type LocalWarden, startLocalWarden } from './local-console.ts';

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** A raw HTTP request, so tests can set Host and Origin as a browser or an attacker would. */
function send({
  port,
  method = 'GET',
  path,
  headers = {},
  body,
}: {
  port: number;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('local mode: the console API and the Warden endpoints on one server', () => {
  let warden: LocalWarden;
  let port: number;
  const post = (path: string, json: unknown, headers: Record<string, string> = {}) =>
    send({
      port,
      method: 'POST',
      path,
      headers: { host: `localhost:${port}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(json),
    });
  const get = (path: string, headers: Record<string, string> = {}) =>
    send({ port, path, headers: { host: `localhost:${port}`, ...headers } });

  beforeAll(async () => {
    warden = await startLocalWarden();
    port = warden.local.port;
  });
  afterAll(async () => {
    await warden?.stop();
  });

  it('serves the page with the people, their roles and a strict content security policy', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('Olivia (on call)');
    expect(page.body).toContain('owner of triage');
    expect(page.body).toContain('sre-approvers');
    for (const name of ['incidents', 'warden-audit', 'warden-alerts'])
      expect(page.body).toContain(`#</span>${name}`);
    expect((await get('/console/assets/console.js')).headers['content-type']).toContain('javascript');
    expect((await get('/console/assets/console.css')).status).toBe(200);
  });

  it('keeps /healthz and /metrics, and refuses unsigned Slack requests', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/metrics')).body).toContain('warden_kill_switch_engaged');
    const forged = await send({
      port,
      method: 'POST',
      path: '/slack/events',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'command=%2Fagent&text=kill&user_id=U0OUTSIDE1',
    });
    expect(forged.status).toBe(401);
  });

  it('answers only on localhost and refuses cross-site posts', async () => {
    expect((await get('/', { host: 'evil.example' })).status).toBe(403);
    const crossSite = await post(
      '/console/api/command',
      { as: people.outsider, channel: people.incidents, text: '/agent kill' },
      { origin: 'http://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    const formPost = await send({
      port,
      method: 'POST',
      path: '/console/api/command',
      headers: { host: `localhost:${port}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ as: people.outsider, channel: people.incidents, text: '/agent kill' }),
    });
    expect(formPost.status).toBe(403);
    const controls = JSON.parse((await get('/console/api/controls')).body);
    expect(controls.killSwitches.filter((k: { engaged: boolean }) => k.engaged)).toEqual([]);
  });

  it('refuses bodies that do not parse or name strangers', async () => {
    expect(
      (await post('/console/api/command', { as: 'U0NOBODY01', channel: people.incidents, text: 'x' })).status,
    ).toBe(400);
    expect(
      (await post('/console/api/command', { as: people.oncall, channel: people.incidents })).status,
    ).toBe(400);
    const other = await post('/console/api/command', {
      as: people.oncall,
      channel: people.incidents,
      text: '/deploy',
    });
    expect(other.status).toBe(400);
    expect(JSON.parse(other.body).error).toContain('/agent help');
    const stale = await post('/console/api/click', {
      as: people.oncall,
      channel: people.incidents,
      ts: '1.000001',
      actionId: 'proposal.approve',
    });
    expect(stale.status).toBe(409);
  });

  it('sends /agent as a signed command, streams the change, and shows the ephemeral answer only to its user', async () => {
    const events: string[] = [];
    const controller = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${port}/console/api/stream`, {
      headers: { host: `localhost:${port}` },
      signal: controller.signal,
    });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();
    const reading = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        events.push(decoder.decode(value));
      }
    })();

    const sent = await post('/console/api/command', {
      as: people.oncall,
      channel: people.incidents,
      text: '/agent help',
    });
    expect(JSON.parse(sent.body)).toEqual({ ok: true, status: 200 });
    await waitFor(() => events.join('').includes('ephemeral_posted'), { what: 'the change on the stream' });
    expect(events.join('')).toContain('event: ready');

    const mine = JSON.parse(
      (await get(`/console/api/view?channel=${people.incidents}&as=${people.oncall}`)).body,
    );
    const theirs = JSON.parse(
      (await get(`/console/api/view?channel=${people.incidents}&as=${people.approvers[0]}`)).body,
    );
    expect(mine.channelHtml).toContain('Only visible to you');
    expect(mine.channelHtml).toContain('/agent triage');
    expect(theirs.channelHtml).not.toContain('Only visible to you');
    controller.abort();
    await reading;
  });

  it('stops cleanly with a console stream still open', async () => {
    const other = await startLocalWarden();
    const controller = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${other.local.port}/console/api/stream`, {
      headers: { host: `localhost:${other.local.port}` },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const started = Date.now();
    await other.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    controller.abort();
    await expect(fetch(`http://127.0.0.1:${other.local.port}/healthz`)).rejects.toThrow();
  });
});
