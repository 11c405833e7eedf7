import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, auditMirror, runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { validateBlocks } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';
import { opsCharter, parseSamples, sampleValue, serveObservability, withShipped } from './helpers.ts';

// One alert to post: the failing scales are also ops's first writes, which the new-environment rule
// would report too.
const alerts = `
  repeated_failures: { threshold: 3, window: 1h }
  new_environment: { enabled: false }`;

describe.each(databaseKinds)('Slack: alerts, status and App Home end to end on %s', (kind) => {
  const database = useTestDatabase(kind);
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let http: Awaited<ReturnType<typeof serveObservability>>;

  beforeEach(async () => {
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({
      database,
      emulator,
      apiUrl: started.apiUrl,
      instanceId: 'obs-a',
      charters: withShipped(opsCharter({ alerts })),
      env: { SLACK_ALERTS_CHANNEL: people.alerts },
    });
    emulator.setWardenUrl(warden.url);
    http = await serveObservability(warden.services);
  });
  afterEach(async () => {
    await http.close();
    await stopWarden(warden);
    await emulator.stop();
  });

  const failScale = () =>
    warden.services.guard.propose({
      agent: 'ops',
      tool: 'scale_service',
      args: { service: 'ghost', replicas: 2 },
      environment: 'production',
      requester: people.oncall,
      source: 'human',
    });

  it('posts an alert to the alerts channel, naming the owners, once, after Slack failed and rate-limited the post', async () => {
    emulator.failNext({ method: 'chat.postMessage', error: 'internal_error', times: 2 });
    emulator.rateLimitNext({ method: 'chat.postMessage', times: 1, retryAfterSeconds: 1 });
    for (let i = 0; i < 3; i += 1) await failScale();
    await warden.services.settleAudit();
    const [event] = await warden.services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'alert.raised'));
    expect(event).toMatchObject({ agent: 'ops', reasonCode: 'alert.repeated_failures', runId: null });

    const posted = await waitFor(
      () => {
        // Failed posts are retried after a back-off on Warden's clock; let it move.
        warden.services.clock.advance(5_000);
        return emulator.messages(people.alerts).find((m) => m.text.includes('ops'));
      },
      { what: 'the alert in the alerts channel', timeoutMs: 20_000 },
    );
    const text = blockText(posted);
    expect(text).toContain('<@U0OWNER001>');
    expect(text).toContain('<@U0SECREV01>');
    expect(text).toContain('scale_service');
    expect(text).toContain(`#${event!.seq}`);
    expect(validateBlocks(posted.blocks)).toEqual([]);
    const mirror = await waitFor(
      async () => {
        const [row] = await warden.services.db
          .select()
          .from(auditMirror)
          .where(eq(auditMirror.seq, event!.seq!));
        return row?.status === 'posted' ? row : undefined;
      },
      { what: 'the outbox row marked posted' },
    );
    expect(mirror).toMatchObject({ channel: people.alerts, messageTs: posted.ts });
    expect(mirror.permalink).toBeTruthy();
    // Give the poster more passes: nothing is posted twice.
    await warden.surface.sync.kick();
    await warden.surface.sync.kick();
    expect(emulator.messages(people.alerts)).toHaveLength(1);
    // Nothing about the alert went into a run thread.
    expect(emulator.messages().filter((m) => m.threadTs !== null && m.text.includes('alert'))).toEqual([]);

    const samples = parseSamples(await http.scrape());
    expect(
      sampleValue(samples, 'warden_slack_api_errors_total', {
        method: 'chat.postMessage',
        error: 'internal_error',
      }),
    ).toBe(2);
    expect(sampleValue(samples, 'warden_slack_rate_limited_total', { method: 'chat.postMessage' })).toBe(1);
    expect(
      sampleValue(samples, 'warden_slack_rate_limit_wait_seconds_total', { method: 'chat.postMessage' }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'warden_alerts_raised_total', { agent: 'ops', rule: 'repeated_failures' }),
    ).toBe(1);
  });

  it('shows the same per-agent figures for the last 24 h in /agent status and on the App Home tab', async () => {
    // Yesterday, 25 h ago on Warden's clock: a triage run and three failed scales (an alert). None of it counts.
    const yesterday = await warden.services.runner.start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-124',
    });
    await yesterday.done;
    for (let i = 0; i < 3; i += 1) await failScale();
    await warden.services.settleAudit();
    warden.services.clock.advance(25 * 3_600_000);

    await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-123' });
    await waitFor(
      async () => {
        const [run] = await warden.services.db.select().from(runs).where(eq(runs.incidentId, 'INC-123'));
        return run && run.state !== 'running' ? run : undefined;
      },
      { what: 'the run to finish', timeoutMs: 30_000 },
    );
    await failScale();

    const ack = await emulator.sendCommand({
      user: people.oncall,
      channel: people.incidents,
      text: 'status',
    });
    expect(ack.status).toBe(200);
    const status = await waitFor(
      () => emulator.responseUrlPosts().find((p) => JSON.stringify(p.body).includes('Last 24 hours')),
      { what: 'the status answer' },
    );
    const statusText = JSON.stringify(status.body);
    const statusBlocks = (status.body as { blocks: unknown[] }).blocks;
    expect(validateBlocks(statusBlocks as never)).toEqual([]);

    await emulator.openAppHome({ user: people.oncall });
    const home = await waitFor(() => emulator.homeView(people.oncall), { what: 'the App Home view' });
    const homeText = JSON.stringify(home.view);

    for (const text of [statusText, homeText]) {
      // triage: one run, reads allowed, two proposals waiting for approval; ops: one failed scale.
      expect(text).toMatch(/`triage`/);
      expect(text).toMatch(/\*Runs\*\\n1 started · 1 completed/);
      expect(text).toMatch(/\*Decisions\*\\n\d+ allowed · 2 asked for approval · 0 blocked/);
      expect(text).toMatch(/`ops`/);
      expect(text).toMatch(/\*Tool calls\*\\n1 ran \(0 succeeded · 1 failed · 0 unknown\)/);
    }
    expect(homeText).toContain('*Alerts (24 h):* none.');
    // Both read the same figures: the triage fields are identical in the two places.
    const triageFields = (text: string) => /Agent `triage`.*?"fields":(\[.*?\])/.exec(text)?.[1];
    expect(triageFields(homeText)).toBeDefined();
    expect(triageFields(homeText)).toBe(triageFields(statusText));
  });
});
