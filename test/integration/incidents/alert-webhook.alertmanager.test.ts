import { describe, expect, it } from 'vitest';
import { alertmanagerApi, startAlertmanager } from '../../helpers/alertmanager.ts';
import { OBSERVABILITY_SKIP_REASON, observabilityBinaries } from '../../helpers/prometheus.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { ticketPlanner } from './alert-planner.ts';
import { TOKEN, useAlertWebhook } from './alert-webhook.harness.ts';

const hasAlertmanager = Boolean(observabilityBinaries.alertmanager);
if (!hasAlertmanager) console.warn(OBSERVABILITY_SKIP_REASON);

describe.skipIf(!hasAlertmanager)('a real Alertmanager posting to the webhook', () => {
  const hook = useAlertWebhook({ kind: 'pglite', planner: ticketPlanner });

  it('sends a firing group with its bearer token: one incident, one run; then the resolution', async () => {
    const alertmanager = await startAlertmanager({
      webhookUrl: hook.ctx.url,
      bearerToken: TOKEN,
      groupBy: ['alertname', 'service', 'env'],
    });
    try {
      const labels = { alertname: 'HighErrors', service: 'checkout', env: 'production', severity: 'page' };
      const startsAt = new Date(Date.now() - 60_000).toISOString();
      await alertmanagerApi(alertmanager, 'alerts', {
        method: 'POST',
        body: [{ labels, annotations: { summary: 'Error ratio above 5%' }, startsAt }],
      });
      const [run] = await waitFor(
        async () => {
          const found = await hook.alertRuns();
          return found.length > 0 ? found : undefined;
        },
        { what: 'a run started by Alertmanager', timeoutMs: 30_000 },
      );
      expect(run).toMatchObject({
        requester: 'alertmanager',
        environment: 'production',
        modeCap: 'read_only',
      });
      expect(await hook.incidents()).toMatchObject([
        { id: 'ALERT-1', service: 'checkout', status: 'open', title: 'HighErrors: Error ratio above 5%' },
      ]);
      expect(await hook.events('alert.refused')).toEqual([]);

      // Ended now: Alertmanager sends the resolved group (send_resolved), which starts nothing.
      await alertmanagerApi(alertmanager, 'alerts', {
        method: 'POST',
        body: [{ labels, startsAt, endsAt: new Date(Date.now() - 1_000).toISOString() }],
      });
      await waitFor(async () => (await hook.incidents())[0]?.status === 'resolved', {
        what: 'the resolved notification',
        timeoutMs: 30_000,
      });
      expect(await hook.incidents()).toHaveLength(1);
      expect(await hook.alertRuns()).toHaveLength(1);
      await waitFor(async () => (await hook.alertRuns())[0]?.state !== 'running', { what: 'the run to end' });
    } finally {
      await alertmanager.stop();
    }
  });
});
