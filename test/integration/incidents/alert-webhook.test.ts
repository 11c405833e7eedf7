import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { breakerStates, proposals, runs, sandboxTickets } from '../../../src/app/schema.ts';
import { alertIncidentDirectory } from '../../../src/incidents/alert-incidents.directory.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { people, waitFor } from '../../helpers/slack-harness.ts';
import { realShapedBody } from '../../unit/incidents/alert-fixtures.ts';
import { triageVariant } from '../agents/agents.helpers.ts';
import { ticketPlanner } from './alert-planner.ts';
import { OWNER_CHANNEL, useAlertWebhook } from './alert-webhook.harness.ts';

const staging = (overrides: Record<string, unknown> = {}) =>
  realShapedBody({
    groupKey: '{}:{alertname="HighErrors",env="staging"}',
    commonLabels: { alertname: 'HighErrors', service: 'checkout', env: 'staging', severity: 'page' },
    ...overrides,
  });

describe.each(databaseKinds)('POST /webhooks/alertmanager on %s', (kind) => {
  const hook = useAlertWebhook({ kind, planner: ticketPlanner });

  async function ended(runId: string) {
    return waitFor(
      async () => {
        const [run] = await hook.ctx.warden.services.db.select().from(runs).where(eq(runs.id, runId));
        return run && run.state !== 'running' ? run : undefined;
      },
      { what: 'the alert run to end', timeoutMs: 20_000 },
    );
  }

  it('opens one incident and starts one read-only run in the owner channel', async () => {
    const answer = await hook.post(realShapedBody());
    expect(answer).toMatchObject({
      status: 200,
      json: { ok: true, outcome: 'opened', incidentId: 'ALERT-1' },
    });

    const [incident] = await hook.incidents();
    expect(incident).toMatchObject({
      id: 'ALERT-1',
      service: 'checkout',
      environment: 'production',
      status: 'open',
      severity: 'sev1',
      title: 'HighErrors: Error ratio above 5%',
      slackChannel: OWNER_CHANNEL,
      runId: answer.json.runId,
      startClaimedUntil: null,
    });
    const [opening] = hook.openings();
    expect(opening?.text).toBe(
      ':rotating_light: Alertmanager: *HighErrors* on *checkout* in *production* (1 alert) — *triage* is triaging *ALERT-1*',
    );
    const [run] = await hook.alertRuns();
    expect(run).toMatchObject({
      id: answer.json.runId,
      requester: 'alertmanager',
      incidentId: 'ALERT-1',
      environment: 'production',
      slackChannel: OWNER_CHANNEL,
      slackThreadTs: opening?.ts,
      modeCap: 'read_only',
    });

    // The run's write is denied by the cap, without counting against the denied-requests breaker.
    await ended(run!.id);
    const writes = await hook.ctx.warden.services.db
      .select()
      .from(proposals)
      .where(eq(proposals.source, 'planner'));
    const rows = writes.map((p) => [p.tool, p.state, p.reasonCode, p.rule, p.requester]);
    expect(rows.sort()).toEqual([
      ['create_ticket', 'blocked', 'mode_read_only', 'run.mode_cap', 'alertmanager'],
      ['restart_service', 'blocked', 'mode_read_only', 'run.mode_cap', 'alertmanager'],
    ]);
    expect(await hook.ctx.warden.services.db.select().from(sandboxTickets)).toEqual([]);
    const breakers = await hook.ctx.warden.services.db.select().from(breakerStates);
    expect(breakers.filter((b) => b.state !== 'closed')).toEqual([]);

    // The audit trail names the incident and the group by hash; no annotation text beyond the title.
    const [opened] = await hook.events('alert.incident_opened');
    expect(opened).toMatchObject({ actor: 'alertmanager', incidentId: 'ALERT-1', environment: 'production' });
    expect(opened?.details).toEqual({
      service: 'checkout',
      groupKeyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      status: 'firing',
      alerts: 1,
      title: 'HighErrors: Error ratio above 5%',
    });
    expect(await hook.events('alert.received')).toHaveLength(1);
    const [started] = await hook.events('run.started');
    expect(started?.details).toMatchObject({ trigger: 'alert', modeCap: 'read_only' });
    // The thread fills from Postgres as for any run.
    await waitFor(() => hook.ctx.emulator.thread(OWNER_CHANNEL, opening!.ts).length > 1, {
      what: 'the run thread',
    });
  });

  it('opens one incident and one run for a notification sent twice', async () => {
    expect((await hook.post(realShapedBody())).json.outcome).toBe('opened');
    expect((await hook.post(realShapedBody())).json).toMatchObject({
      outcome: 'duplicate',
      incidentId: 'ALERT-1',
      runId: (await hook.alertRuns())[0]?.id,
    });
    expect(await hook.incidents()).toHaveLength(1);
    expect(await hook.alertRuns()).toHaveLength(1);
    expect(hook.openings()).toHaveLength(1);
    expect(await hook.events('alert.duplicate')).toHaveLength(1);
    await ended((await hook.alertRuns())[0]!.id);
  });

  it('opens one incident and one run for ten copies of a new notification sent at once', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => hook.post(realShapedBody())));
    // The one incident's number: the copies that lost the race to open it may have drawn numbers first.
    const [incident] = await hook.incidents();
    expect(incident?.id).toMatch(/^ALERT-\d+$/);
    // A copy that finds the run being started is told to send again (503): never acknowledged early.
    for (const answer of answers) {
      if (answer.status === 503)
        expect(answer.json.error).toMatch(`Another request is starting the run of ${incident?.id};`);
      else expect(answer).toMatchObject({ status: 200, json: { incidentId: incident?.id } });
    }
    // The copy that opened the incident may itself be told to send again, when another copy claimed the
    // run's start first: what counts is one incident, one run and one `alert.incident_opened`.
    expect(answers.filter((a) => a.json.outcome === 'opened').length).toBeLessThanOrEqual(1);
    expect(await hook.incidents()).toHaveLength(1);
    expect(await hook.alertRuns()).toHaveLength(1);
    expect(hook.openings()).toHaveLength(1);
    expect(await hook.events('alert.incident_opened')).toHaveLength(1);
    expect(await hook.events('alert.duplicate')).toHaveLength(9);
    // Alertmanager's retry of a 503 is then acknowledged with the one run.
    const [run] = await hook.alertRuns();
    expect((await hook.post(realShapedBody())).json).toMatchObject({ outcome: 'duplicate', runId: run?.id });
    await ended(run!.id);
  });

  it('resolves the incident on a resolved notification, tells the thread, and starts nothing', async () => {
    const opened = await hook.post(realShapedBody());
    const runId = opened.json.runId as string;
    await ended(runId);
    const resolved = realShapedBody({ status: 'resolved' });
    (resolved.alerts[0] as { status: string }).status = 'resolved';
    expect(await hook.post(resolved)).toMatchObject({
      status: 200,
      json: { outcome: 'resolved', incidentId: 'ALERT-1' },
    });
    expect(await hook.incidents()).toMatchObject([{ status: 'resolved', resolvedAt: expect.any(Date) }]);
    expect(await hook.alertRuns()).toHaveLength(1);
    const [event] = await hook.events('alert.resolved');
    expect(event).toMatchObject({ runId, incidentId: 'ALERT-1' });
    const opening = hook.openings()[0]!;
    await waitFor(
      () =>
        hook.ctx.emulator
          .thread(OWNER_CHANNEL, opening.ts)
          .some((m) => JSON.stringify(m.blocks).includes('alert.resolved')),
      { what: 'the resolution in the run thread' },
    );

    // Resolved again (a retry), or a group with nothing open: nothing changes.
    expect(await hook.post(resolved)).toMatchObject({
      status: 202,
      json: { outcome: 'ignored', reason: 'no_open_incident' },
    });
    // The group fires again later: a new incident, a new run.
    expect((await hook.post(realShapedBody())).json).toMatchObject({
      outcome: 'opened',
      incidentId: 'ALERT-2',
    });
    expect(await hook.alertRuns()).toHaveLength(2);
    await Promise.all((await hook.alertRuns()).map((r) => ended(r.id)));
  });

  it('lets a person triage an alert incident in its environment, uncapped; never as the alert actor', async () => {
    const opened = await hook.post(realShapedBody());
    await ended(opened.json.runId as string);
    const { services } = hook.ctx.warden;
    // The directory as services.ts combines them: alert incidents first, then the sandbox's.
    const alerts = alertIncidentDirectory({ db: services.db });
    const runner = services.runnerWith({
      planner: ticketPlanner(),
      incidents: {
        environmentOf: async (input) =>
          (await alerts.environmentOf(input)) ?? (await services.incidents.environmentOf(input)),
      },
    });
    const { run, done } = await runner.start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'ALERT-1',
      channel: OWNER_CHANNEL,
    });
    expect(run).toMatchObject({ environment: 'production', modeCap: null, requester: people.oncall });
    await done;
    const [ticket] = await services.db
      .select()
      .from(proposals)
      .where(and(eq(proposals.runId, run.id), eq(proposals.tool, 'create_ticket')));
    expect(ticket).toMatchObject({
      state: 'pending',
      decision: 'needs_approval',
      rule: 'environments.production.mode',
    });

    await expect(
      runner.start({
        agent: 'triage',
        requester: 'alertmanager',
        requesterGroups: ['oncall'],
        incidentId: 'ALERT-1',
      }),
    ).rejects.toMatchObject({ code: 'agents.not_invoker' });
  });

  it('lets no write of an alert run in a human-on-the-loop environment run at once (shadow as shipped)', async () => {
    const answer = await hook.post(staging());
    const run = await ended(answer.json.runId as string);
    expect(run.modeCap).toBe('shadow');
    const [ticket] = await hook.ctx.warden.services.db
      .select()
      .from(proposals)
      .where(eq(proposals.tool, 'create_ticket'));
    expect(ticket).toMatchObject({
      environment: 'staging',
      state: 'blocked',
      reasonCode: 'mode_shadow',
      rule: 'run.mode_cap',
    });
    expect(await hook.ctx.warden.services.db.select().from(sandboxTickets)).toEqual([]);
  });
});

describe.each(databaseKinds)(
  'POST /webhooks/alertmanager with no alert_runs in the charter on %s',
  (kind) => {
    const hook = useAlertWebhook({
      kind,
      planner: ticketPlanner,
      charters: () => [triageVariant({ replace: '    alert_runs: { mode: shadow }\n', by: '' })],
    });

    it('caps the run at read_only: the low-risk write human-on-the-loop would run is denied', async () => {
      const answer = await hook.post(staging());
      const run = await waitFor(
        async () => {
          const [row] = await hook.alertRuns();
          return row && row.state !== 'running' ? row : undefined;
        },
        { what: 'the alert run to end', timeoutMs: 20_000 },
      );
      expect(run).toMatchObject({ id: answer.json.runId, modeCap: 'read_only' });
      const [ticket] = await hook.ctx.warden.services.db
        .select()
        .from(proposals)
        .where(eq(proposals.tool, 'create_ticket'));
      expect(ticket).toMatchObject({ state: 'blocked', reasonCode: 'mode_read_only', rule: 'run.mode_cap' });
      expect(ticket?.reason).toContain('started by an alert');
      expect(await hook.ctx.warden.services.db.select().from(sandboxTickets)).toEqual([]);
    });
  },
);
