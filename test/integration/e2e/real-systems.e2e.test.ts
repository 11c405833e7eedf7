import { and, eq } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIPlanner } from '../../../src/agents/openai/openai-planner.ts';
import { alertIncidents, auditEvents, proposals, runs } from '../../../src/app/schema.ts';
import { CHECKOUT_IMAGES } from '../../../src/dev/kubernetes-emulator/index.ts';
import type { Silence } from '../../../src/systems/alertmanager.client.ts';
import { leaseSecretName } from '../../../src/systems/kubernetes/kubernetes.lease.ts';
import { alertmanagerApi } from '../../helpers/alertmanager.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { gaugeText } from '../../helpers/exporter.ts';
import { createScriptedOpenAIServer } from '../../helpers/openai-server.ts';
import { hasObservabilityServers, OBSERVABILITY_SKIP_REASON } from '../../helpers/prometheus.ts';
import { buttonsOf, cardOf, people, waitFor } from '../../helpers/slack-harness.ts';
import { ALERT, METRIC, type RealWorld, SECRETS, startRealWorld } from './real-systems.harness.ts';

if (!hasObservabilityServers) console.warn(OBSERVABILITY_SKIP_REASON);

const LONG = { timeoutMs: 60_000 };

/**
 * The story end to end, on real Prometheus and Alertmanager and the Kubernetes emulator, through
 * signed Slack requests: an alert starts a run, the run reads real metrics and the cluster and proposes
 * rollout_undo, two people approve it and the Deployment is back on the old revision; a silence approved
 * on Alertmanager is visible through its API and Undo expires it; the kill switch during a call deletes
 * the call's bound Secret.
 */
describe.skipIf(!hasObservabilityServers)('real systems behind the guard, end to end', () => {
  let database: TestDatabase;
  let w: RealWorld;
  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    w = await startRealWorld({ database });
  }, 120_000);
  afterAll(async () => {
    await w?.stop();
    await database?.drop();
  });

  const db = () => w.warden.services.db;
  const cardOfProposal = (id: string) => cardOf(w.slack, people.incidents, id);
  const click = (user: string, ts: string, actionId: string) =>
    w.slack.clickButton({ user, channel: people.incidents, messageTs: ts, actionId });
  const proposalOf = async (tool: string) => {
    const rows = await db().select().from(proposals).where(eq(proposals.tool, tool));
    return rows.at(-1) ?? null;
  };
  const stateOf = async (id: string) =>
    (await db().select().from(proposals).where(eq(proposals.id, id)))[0]?.state;
  const approveCard = async (id: string, approvers: string[]) => {
    const card = await waitFor(() => cardOfProposal(id), { what: `the card of ${id}`, ...LONG });
    for (const approver of approvers) await click(approver, card.ts, 'proposal.approve');
  };
  const silences = () => alertmanagerApi<Silence[]>(w.alertmanager, 'silences');

  it('an alert starts a run that proposes rollout_undo; two approvals put checkout back on revision 1', async () => {
    w.exporter.set(gaugeText(METRIC, 0.3, { service: 'checkout' }));
    const [incident] = await waitFor(
      async () => {
        const rows = await db().select().from(alertIncidents);
        return rows.length ? rows : null;
      },
      { what: 'the alert incident', timeoutMs: 90_000 },
    );
    expect(incident).toMatchObject({ service: 'checkout', environment: 'production', status: 'open' });
    const undo = await waitFor(() => proposalOf('rollout_undo'), {
      what: 'the rollout_undo proposal',
      ...LONG,
    });
    expect(undo).toMatchObject({
      args: { service: 'checkout', to_revision: 1 },
      environment: 'production',
      state: 'pending',
      approvalsRequired: 2,
    });
    const [run] = await db()
      .select()
      .from(runs)
      .where(eq(runs.id, undo.runId ?? ''));
    expect(run).toMatchObject({
      requester: 'alertmanager',
      incidentId: incident?.id,
      modeCap: 'human_in_the_loop',
    });
    // The evidence came from the real systems: Prometheus's error ratio and the cluster's revisions.
    const reads = await db()
      .select()
      .from(proposals)
      .where(and(eq(proposals.runId, run!.id), eq(proposals.state, 'succeeded')));
    expect(reads.map((p) => p.tool)).toEqual(
      expect.arrayContaining(['get_incident', 'get_service_health', 'list_pods', 'get_rollout_history']),
    );
    const health = reads.find((p) => p.tool === 'get_service_health');
    expect(health?.result).toMatchObject({ data: { errorRatio: 0.3, health: 'degraded' } });

    await approveCard(undo.id, [people.approvers[0], people.approvers[1]]);
    await waitFor(async () => (await stateOf(undo.id)) === 'succeeded', {
      what: 'the rollback to run',
      ...LONG,
    });
    const deployment = w.cluster.store.get('Deployment', 'shop', 'checkout');
    expect(deployment?.spec?.template.spec?.containers[0]?.image).toBe(CHECKOUT_IMAGES.previous);
    expect(w.cluster.store.get('Secret', 'warden', leaseSecretName(undo.id))).toBeUndefined();
  });

  it('a silence approved in Slack is on Alertmanager, and Undo expires it', async () => {
    const run = (await db().select().from(runs).where(eq(runs.requester, 'alertmanager')))[0]!;
    const proposed = await w.warden.services.guard.propose({
      agent: 'triage',
      tool: 'create_silence',
      args: { service: 'checkout', alertname: ALERT, duration_minutes: 60, comment: 'Rolled back; watching' },
      environment: 'production',
      requester: people.oncall,
      runId: run.id,
      incidentId: run.incidentId,
      source: 'human',
    });
    expect(proposed.decision.decision).toBe('needs_approval');
    await approveCard(proposed.proposal.id, [people.approvers[0]]);
    await waitFor(async () => (await stateOf(proposed.proposal.id)) === 'succeeded', {
      what: 'the silence',
      ...LONG,
    });
    const made = (await silences()).find(
      (s) => s.comment.includes(`[warden:`) && s.status.state === 'active',
    );
    expect(made?.matchers.map((m) => [m.name, m.value, m.isRegex]).sort()).toEqual([
      ['alertname', ALERT, false],
      ['env', 'production', false],
      ['service', 'checkout', false],
    ]);

    const done = await waitFor(
      () => {
        const card = cardOfProposal(proposed.proposal.id);
        return card && buttonsOf(card).includes('Undo') ? card : null;
      },
      { what: 'Undo on the silence card', ...LONG },
    );
    await click(people.oncall, done.ts, 'proposal.undo');
    const expire = await waitFor(() => proposalOf('expire_silence'), {
      what: 'the expire_silence proposal',
      ...LONG,
    });
    expect(expire).toMatchObject({ args: { service: 'checkout', silence_id: made?.id }, state: 'pending' });
    await approveCard(expire.id, [people.approvers[1]]);
    await waitFor(async () => (await silences()).find((s) => s.id === made?.id)?.status.state === 'expired', {
      what: 'the silence to be expired on Alertmanager',
      ...LONG,
    });
  });

  it('the OpenAI planner works the real tools, and no secret reaches its prompt', async () => {
    const pod = w.cluster.store
      .list('Pod', 'shop')
      .map((p) => p.metadata?.name ?? '')
      .find((name) => name.startsWith('checkout-'));
    expect(pod).toBeTruthy();
    // A log line with a secret in it, as real applications print them.
    w.cluster.logs.append({
      namespace: 'shop',
      pod: pod!,
      container: 'checkout',
      lines: [{ at: Date.now(), text: `config dump: DB_PASSWORD=${SECRETS.database} pool=8` }],
    });
    const model = await createScriptedOpenAIServer({
      script: [
        { toolCalls: [{ name: 'get_incident', arguments: { incident_id: 'ALERT-1' } }] },
        {
          toolCalls: [
            { name: 'get_service_health', arguments: { service: 'checkout' } },
            { name: 'list_pods', arguments: { service: 'checkout' } },
            { name: 'get_pod_logs', arguments: { service: 'checkout', pod, tail_lines: 20 } },
          ],
        },
        {
          toolCalls: [
            { name: 'submit_proposals', arguments: { summary: 'Rolled back already.', proposals: [] } },
          ],
        },
      ],
    });
    try {
      const { services } = w.warden;
      const planner = createOpenAIPlanner({
        client: new OpenAI({ baseURL: model.url, apiKey: 'sk-test-e2e-not-a-secret', maxRetries: 0 }),
        model: 'scripted',
        redactor: services.redactor,
        logger: services.logger,
      });
      const started = await services
        .runnerWith({ planner })
        .start({ agent: 'triage', requester: people.oncall, incidentId: 'ALERT-1' });
      const outcome = await started.done;
      expect(outcome.state).toBe('completed');
      const offered = model.requests[0]?.tools?.map((t) => t.function.name) ?? [];
      expect(offered).toEqual(expect.arrayContaining(['get_service_health', 'list_pods', 'get_pod_logs']));
      // The final step offers the charter's writes on the cluster, and nothing of the sandbox.
      const submit = JSON.stringify(model.requests.at(-1)?.tools);
      expect(submit).toContain('rollout_undo');
      expect(`${offered} ${submit}`).not.toContain('rollback_deploy');
      const prompts = model.rawBodies.join('\n');
      expect(prompts).toContain('DB_PASSWORD=[REDACTED]');
      for (const secret of Object.values(SECRETS)) expect(prompts).not.toContain(secret);
    } finally {
      await model.close();
    }
  });

  it('the kill switch during a call deletes the bound Secret; the call never takes effect', async () => {
    const run = (await db().select().from(runs).where(eq(runs.requester, 'alertmanager')))[0]!;
    // The cluster handles the restart's PATCH only after 10 s: long enough to kill the call in flight.
    w.cluster.faults.setLatency({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/shop/deployments/checkout',
      ms: 10_000,
    });
    const patchesBefore = w.cluster.requests({ method: 'PATCH' }).length;
    const startedAt = Date.now();
    try {
      const proposed = await w.warden.services.guard.propose({
        agent: 'triage',
        tool: 'rollout_restart',
        args: { service: 'checkout' },
        environment: 'production',
        requester: people.oncall,
        runId: run.id,
        incidentId: run.incidentId,
        source: 'human',
      });
      const secret = leaseSecretName(proposed.proposal.id);
      await approveCard(proposed.proposal.id, [people.approvers[0]]);
      await waitFor(() => w.cluster.store.get('Secret', 'warden', secret), {
        what: 'the call’s lease Secret',
        ...LONG,
      });
      // The executor read the Deployment (the restart's idempotency check); its PATCH follows at once and
      // waits in the cluster.
      await waitFor(
        () =>
          w.cluster
            .requests({ method: 'GET', path: '/apis/apps/v1/namespaces/shop/deployments/checkout' })
            .some((r) => r.at >= startedAt && r.user?.endsWith(':warden-executor')) || null,
        { what: 'the executor to read the Deployment', ...LONG },
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(w.warden.services.inFlight.list().map((e) => e.proposalId)).toContain(proposed.proposal.id);
      const claims = w.cluster.issuedTokens().filter((t) => JSON.stringify(t).includes(secret));
      expect(claims.length).toBeGreaterThan(0);

      await w.slack.sendCommand({
        user: people.oncall,
        channel: people.incidents,
        text: 'kill triage stop everything',
      });
      await waitFor(() => !w.cluster.store.get('Secret', 'warden', secret) || null, {
        what: 'the Secret deleted',
        ...LONG,
      });
      // The PATCH the call had sent reaches the cluster after the kill: its token is refused.
      const refused = await waitFor(
        () =>
          w.cluster
            .requests({ method: 'PATCH' })
            .slice(patchesBefore)
            .find((r) => r.path.endsWith('/deployments/checkout')) ?? null,
        { what: 'the delayed PATCH to be answered', ...LONG },
      );
      expect(refused).toMatchObject({ status: 401, user: null });
      await waitFor(async () => (await stateOf(proposed.proposal.id)) === 'failed', {
        what: 'the call to stop',
        ...LONG,
      });
      const annotations = w.cluster.store.get('Deployment', 'shop', 'checkout')?.spec?.template.metadata
        ?.annotations;
      expect(annotations?.['warden.dev/restart-key']).not.toBe(proposed.proposal.id);
      const [kill] = await db().select().from(auditEvents).where(eq(auditEvents.action, 'kill.engaged'));
      expect(kill?.details).toMatchObject({ inFlight: [proposed.proposal.id] });
    } finally {
      w.cluster.faults.setLatency({
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/shop/deployments/checkout',
        ms: 0,
      });
    }
  });

  it('shows no secret anywhere: logs, audit, Slack', async () => {
    const audit = JSON.stringify(await db().select().from(auditEvents));
    const slack = JSON.stringify(w.slack.messages(people.incidents));
    const logs = w.warden.services.logs.text();
    for (const secret of Object.values(SECRETS)) {
      expect(audit).not.toContain(secret);
      expect(slack).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(w.cluster.errors()).toEqual([]);
  });
});
