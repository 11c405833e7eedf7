import { describe, expect, it } from 'vitest';
import type { Runner } from '../../../src/agents/run/runner.ts';
import { createAlertWebhook } from '../../../src/app/alert-webhook.ts';
import { createHttpServer } from '../../../src/app/http.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { realShapedBody } from '../../unit/incidents/alert-fixtures.ts';
import { ticketPlanner } from './alert-planner.ts';
import { useAlertWebhook } from './alert-webhook.harness.ts';

describe.each(databaseKinds)('POST /webhooks/alertmanager refuses and recovers on %s', (kind) => {
  /** The runner the webhook uses fails its first start with a database-like error, then works. */
  const failures = { startRun: 0 };
  const hook = useAlertWebhook({
    kind,
    planner: ticketPlanner,
    runner: (real: Runner) => ({
      startFromAlert: async (input) => {
        if (failures.startRun > 0) {
          failures.startRun -= 1;
          throw new Error('connection terminated unexpectedly');
        }
        return real.startFromAlert(input);
      },
    }),
  });

  it('answers 401 to a wrong or missing token and audits it without the body', async () => {
    expect(await hook.post(realShapedBody(), { token: 'wrong-token-wrong-token' })).toMatchObject({
      status: 401,
      json: { ok: false },
    });
    const [refused] = await hook.events('alert.refused');
    expect(refused).toMatchObject({ actor: 'alertmanager', reasonCode: 'wrong_token' });
    expect(JSON.stringify(refused?.details)).not.toContain('HighErrors');
    expect((await hook.post(realShapedBody(), { token: null })).status).toBe(401);
    expect(await hook.incidents()).toEqual([]);
    // The token never reaches the logs.
    expect(hook.ctx.warden.services.logs.text()).not.toContain('wrong-token-wrong-token');
  });

  it('refuses a body over 1 MiB, text that is not JSON, and JSON that is not a notification', async () => {
    const huge = JSON.stringify(realShapedBody({ externalURL: 'x'.repeat(1_100_000) }));
    expect((await hook.post(huge)).status).toBe(413);
    expect(await hook.post('{"version": "4",')).toMatchObject({
      status: 400,
      json: { error: 'The body is not JSON.' },
    });
    const answer = await hook.post(realShapedBody({ version: '3' }));
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(/^Not an Alertmanager webhook \(version 4\): version must be "4"/);
    expect(await hook.incidents()).toEqual([]);
  });

  it('ignores a group no catalog service matches, with an audit event', async () => {
    const body = realShapedBody({ commonLabels: { alertname: 'HighErrors', service: 'search' } });
    expect(await hook.post(body)).toMatchObject({
      status: 202,
      json: { ok: true, outcome: 'ignored', reason: 'no_matching_service' },
    });
    expect(await hook.events('alert.ignored')).toMatchObject([{ reasonCode: 'no_matching_service' }]);
    expect(await hook.incidents()).toEqual([]);
  });

  it('starts no run while the kill switch is engaged, says so in the channel, and not later either', async () => {
    await hook.ctx.warden.services.killSwitch.engage({
      agent: 'triage',
      actor: 'U0OWNER001',
      reason: 'drill',
    });
    expect(await hook.post(realShapedBody())).toMatchObject({
      status: 200,
      json: { outcome: 'opened', runId: null, note: 'kill_switch' },
    });
    const [opening] = hook.openings();
    expect(opening?.text).toContain('is not triaging *ALERT-1*: The kill switch is engaged');
    expect(await hook.incidents()).toMatchObject([{ runId: null, runSkipped: 'kill_switch' }]);
    expect(await hook.events('alert.run_skipped')).toMatchObject([{ reasonCode: 'kill_switch' }]);

    await hook.ctx.warden.services.killSwitch.release({ agent: 'triage', actor: 'U0OWNER001' });
    expect((await hook.post(realShapedBody())).json).toMatchObject({ outcome: 'duplicate', runId: null });
    expect(await hook.alertRuns()).toEqual([]);
    expect(hook.openings()).toHaveLength(1);
  });

  it('answers 503 while Slack refuses, then carries on with one incident, one message and one run', async () => {
    hook.ctx.emulator.failNext({ method: 'chat.postMessage', error: 'internal_error', times: 5 });
    const first = await hook.post(realShapedBody());
    expect(first.status).toBe(503);
    expect(await hook.incidents()).toMatchObject([{ id: 'ALERT-1', runId: null, slackTs: null }]);
    expect(hook.ctx.warden.services.logs.text()).toContain('could not handle an Alertmanager notification');

    // The database fails as the run starts: the message is posted, the run is not, the retry finishes.
    failures.startRun = 1;
    expect((await hook.post(realShapedBody())).status).toBe(503);
    expect(hook.openings()).toHaveLength(1);
    expect(await hook.alertRuns()).toEqual([]);

    const third = await hook.post(realShapedBody());
    expect(third).toMatchObject({ status: 200, json: { outcome: 'duplicate', incidentId: 'ALERT-1' } });
    expect(third.json.runId).toEqual(expect.any(String));
    expect(await hook.incidents()).toHaveLength(1);
    expect(await hook.alertRuns()).toMatchObject([
      { id: third.json.runId, slackThreadTs: hook.openings()[0]?.ts },
    ]);
    expect(hook.openings()).toHaveLength(1);
    await waitFor(async () => (await hook.alertRuns())[0]?.state !== 'running', { what: 'the run to end' });
  });
});

describe('POST /webhooks/alertmanager without a token configured', () => {
  it('answers 404 "not configured" and reads nothing', async () => {
    const { handle } = createAlertWebhook({
      services: {} as never,
      client: {} as never,
      runner: {} as never,
      token: null,
      agent: 'triage',
    });
    const server = createHttpServer({ routes: { 'POST /webhooks/alertmanager': handle } });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const response = await fetch(`http://127.0.0.1:${port}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { authorization: 'Bearer anything-at-all-here' },
        body: '{}',
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: expect.stringContaining('not configured') });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
