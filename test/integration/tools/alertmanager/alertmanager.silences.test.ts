import { describe, expect, it } from 'vitest';
import type { Silence } from '../../../../src/systems/alertmanager.client.ts';
import { findSilenceByKey } from '../../../../src/tools/alertmanager/silence-by-key.ts';
import { alertmanagerApi } from '../../../helpers/alertmanager.ts';
import { hasObservabilityServers, OBSERVABILITY_SKIP_REASON } from '../../../helpers/prometheus.ts';
import { pollUntil } from '../../../helpers/server-process.ts';
import { byName, CHECKOUT, equality, PAYMENTS, useAlertmanagerTools } from './alertmanager.fixture.ts';

if (!hasObservabilityServers) console.warn(OBSERVABILITY_SKIP_REASON);

// The tests share one Alertmanager and run in order: list_silences expects the silences the
// create_silence tests made before it.
describe.skipIf(!hasObservabilityServers)(
  'the Alertmanager silence tools on a real Alertmanager behind a bearer proxy',
  () => {
    const ctx = useAlertmanagerTools();

    it('create_silence makes one silence of exactly the catalog matchers and the alertname, once per proposal', async () => {
      const args = {
        service: 'checkout',
        alertname: 'CheckoutErrorRatioHigh',
        duration_minutes: 30,
        comment: 'fix rolling out',
      };
      const first = await ctx.harness.call('create_silence', args, { proposalId: 'prp_silence_once' });
      const again = await ctx.harness.call('create_silence', args, { proposalId: 'prp_silence_once' });
      const id = first.data.silenceId as string;
      expect(again.data.silenceId).toBe(id);
      expect(first.data.created).toBe(true);
      expect(again.data.created).toBe(false);
      expect(first.data.undo).toEqual({
        tool: 'expire_silence',
        args: { service: 'checkout', silence_id: id },
      });
      expect(first.summary).toMatch(
        /^Silenced CheckoutErrorRatioHigh for checkout in production until .* \(silence /,
      );

      const made = (await ctx.silences()).filter((s) => s.comment.includes('[warden:prp_silence_once]'));
      expect(made).toHaveLength(1);
      const silence = made[0]!;
      expect(silence.id).toBe(id);
      expect(silence.status.state).toBe('active');
      expect(byName(silence.matchers)).toEqual(
        byName(equality({ ...CHECKOUT, alertname: 'CheckoutErrorRatioHigh' })),
      );
      expect(silence.createdBy).toBe('warden:triage');
      expect(silence.comment).toBe('fix rolling out [warden:prp_silence_once]');
      // Ends `duration_minutes` after Warden's clock (Alertmanager starts a silence dated in the past now).
      expect(Date.parse(silence.endsAt)).toBe(ctx.harness.clock.now().getTime() + 30 * 60_000);
      expect(first.data.endsAt).toBe(new Date(silence.endsAt).toISOString());

      // The alert is now suppressed by it; the other checkout alert is not.
      const suppressed = await pollUntil(
        async () => {
          const r = await ctx.harness.call('list_alerts', { service: 'checkout', state: 'suppressed' });
          return (r.data.total as number) > 0 && r;
        },
        { what: 'the silenced alert to show as suppressed' },
      );
      expect(suppressed.data.alerts).toMatchObject([
        { alertname: 'CheckoutErrorRatioHigh', silencedBy: [id] },
      ]);

      const client = ctx.harness.systems.alertmanager('alertmanager')!;
      const found = await findSilenceByKey({
        client,
        matchers: { ...CHECKOUT, alertname: 'CheckoutErrorRatioHigh' },
        key: 'prp_silence_once',
      });
      expect(found?.id).toBe(id);
    });

    it('create_silence verifies by the key in the comment: found for its proposal, absent for another', async () => {
      const args = { service: 'checkout', alertname: 'VerifyMe', duration_minutes: 30, comment: 'verify' };
      expect(
        await ctx.harness.verify('create_silence', args, { proposalId: 'prp_silence_verify' }),
      ).toMatchObject({
        effect: 'absent',
      });
      const made = await ctx.harness.call('create_silence', args, { proposalId: 'prp_silence_verify' });
      expect(
        await ctx.harness.verify('create_silence', args, { proposalId: 'prp_silence_verify' }),
      ).toMatchObject({
        effect: 'present',
        result: { data: { silenceId: made.data.silenceId, undo: made.data.undo } },
      });
      expect(
        await ctx.harness.verify('create_silence', args, { proposalId: 'prp_silence_other' }),
      ).toMatchObject({
        effect: 'absent',
      });
    });

    it('create_silence called twice at once for one proposal still makes one silence', async () => {
      const args = {
        service: 'checkout',
        alertname: 'CheckoutLatencyHigh',
        duration_minutes: 5,
        comment: 'looking',
      };
      const results = await Promise.all([
        ctx.harness.call('create_silence', args, { proposalId: 'prp_silence_race' }),
        ctx.harness.call('create_silence', args, { proposalId: 'prp_silence_race' }),
      ]);
      expect(new Set(results.map((r) => r.data.silenceId)).size).toBe(1);
      const made = (await ctx.silences()).filter((s) => s.comment.includes('[warden:prp_silence_race]'));
      expect(made.map((s) => s.id)).toEqual([results[0]?.data.silenceId]);
    });

    it('list_silences lists the service silences only', async () => {
      const paymentsSilence = await ctx.silenceDirectly(equality({ ...PAYMENTS, alertname: 'PaymentsDown' }));
      const result = await ctx.harness.call('list_silences', { service: 'checkout' });
      const listed = result.data.silences as {
        id: string;
        state: string;
        matchers: string[];
        createdBy: string;
      }[];
      expect(listed.map((s) => s.id)).not.toContain(paymentsSilence);
      expect(listed.length).toBeGreaterThanOrEqual(2);
      for (const s of listed) {
        expect(s.matchers).toContain('service="checkout"');
        expect(s.matchers).toContain('env="production"');
      }
      expect(listed[0]).toMatchObject({ state: 'active', createdBy: 'warden:triage' });
      expect(result.summary).toMatch(/^\d+ active or pending silences for checkout in production/);
    });

    it('expire_silence expires a silence create_silence made, and again is a no-op', async () => {
      const made = await ctx.harness.call('create_silence', {
        service: 'checkout',
        alertname: 'CheckoutErrorRatioHigh',
        duration_minutes: 10,
        comment: 'to undo',
      });
      const undo = made.data.undo as { tool: string; args: Record<string, unknown> };
      const expired = await ctx.harness.call(undo.tool, undo.args);
      expect(expired.data).toMatchObject({ alreadyExpired: false, silence: { state: 'expired' } });
      const id = made.data.silenceId as string;
      const silence = await alertmanagerApi<Silence>(ctx.alertmanager, `silence/${id}`);
      expect(silence.status.state).toBe('expired');

      const again = await ctx.harness.call(undo.tool, undo.args);
      expect(again.data).toMatchObject({ alreadyExpired: true });
      expect(again.summary).toMatch(/had already ended/);
    });

    it.each([
      ["another service's silence", equality({ ...PAYMENTS, alertname: 'PaymentsDown' })],
      ['a silence wider than the service (no env matcher)', equality({ service: 'checkout' })],
      [
        'a regex silence',
        [
          { name: 'service', value: 'checkout', isRegex: true, isEqual: true },
          { name: 'env', value: 'production', isRegex: false, isEqual: true },
        ],
      ],
    ])('expire_silence refuses %s and leaves it active', async (_what, matchers) => {
      const id = await ctx.silenceDirectly(matchers);
      await expect(
        ctx.harness.call('expire_silence', { service: 'checkout', silence_id: id }),
      ).rejects.toMatchObject({
        code: 'alertmanager.outside_service',
        message: expect.stringContaining(
          `Silence ${id} cannot be expired: it is not limited to checkout's alerts`,
        ),
      });
      expect((await alertmanagerApi<Silence>(ctx.alertmanager, `silence/${id}`)).status.state).toBe('active');
    });

    it('expire_silence says when there is no such silence', async () => {
      await expect(
        ctx.harness.call('expire_silence', {
          service: 'checkout',
          silence_id: '0b7c9a52-8f4e-4d1a-9c3b-2e6f5a7d8c90',
        }),
      ).rejects.toMatchObject({
        code: 'system.not_found',
        message: expect.stringContaining('has no silence'),
      });
    });

    it.each([
      { alertname: '.+' },
      { alertname: 'A"} or up' },
      { duration_minutes: 0 },
      { duration_minutes: 1441 },
      { comment: '' },
      { comment: 'x'.repeat(501) },
      { comment: 'sneaky [warden:prp_other]' },
      { matchers: 'alertname=~".+"' },
    ])('create_silence refuses %j', async (change) => {
      const args = {
        service: 'checkout',
        alertname: 'CheckoutErrorRatioHigh',
        duration_minutes: 5,
        comment: 'ok',
        ...change,
      };
      await expect(ctx.harness.call('create_silence', args)).rejects.toMatchObject({
        code: 'tools.invalid_input',
      });
    });
  },
);
