import { readFileSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Planner } from '../../../src/agents/planner.types.ts';
import { auditEvents, proposals, sandboxServices } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import {
  type PagerDutyEmulator,
  startPagerDutyEmulator,
} from '../../../src/dev/pagerduty-emulator/server.ts';
import type { EmulatedUser } from '../../../src/dev/pagerduty-emulator/store.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { parseCharterText } from '../../../src/policy/charter.loader.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import {
  blockText,
  buttonsOf,
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const API_TOKEN = 'u+pdOncallCanary-Qz8Lm2Xv7Rt4';
const POLICY = 'PESCPRD';
const [ANA, BEN] = people.approvers;

/** triage.yaml with scale_service in production approved by 2 of whoever is on call for PESCPRD. */
function oncallCharter() {
  const text = readFileSync(new URL('../../../charters/triage.yaml', import.meta.url), 'utf8')
    .replace(
      'groups:\n',
      `groups:\n  pd-primary:\n    oncall: { connection: pagerduty, escalation_policy: ${POLICY} }\n`,
    )
    .replace(
      '      production:\n        approve: { count: 1, from: [sre-approvers] }\n    constraints:\n      replicas',
      '      production:\n        approve: { count: 2, from: [pd-primary] }\n    constraints:\n      replicas',
    );
  const charter = parseCharterText({ text, file: 'triage.yaml' });
  expect(charter.tools.scale_service?.environments.production).toEqual({
    approve: { count: 2, from: ['pd-primary'], groups_mode: 'any' },
  });
  return charter;
}

/** Proposes scaling checkout in production to 9 replicas, and nothing else. */
const scaleUp: Planner = {
  name: 'scripted',
  next: async () => ({
    kind: 'final',
    summary: 'Checkout needs more replicas.',
    tokens: 0,
    proposals: [
      {
        tool: 'scale_service',
        args: { service: 'checkout', replicas: 9 },
        environment: 'production',
        rationale: 'Traffic is up.',
        expectedEffect: 'More capacity.',
        rollback: 'Scale back.',
      },
    ],
  }),
};

describe.each(databaseKinds)('Slack: on-call approvers from PagerDuty on %s', (kind) => {
  const database = useTestDatabase(kind);
  const ctx = {} as {
    pd: PagerDutyEmulator;
    slack: SlackEmulator;
    warden: WardenInstance;
    users: Record<'ana' | 'ben' | 'olivia' | 'zed', EmulatedUser>;
  };

  beforeEach(async () => {
    ctx.pd = await startPagerDutyEmulator({ token: API_TOKEN });
    ctx.users = {
      ana: ctx.pd.store.addUser({ name: 'Ana', email: 'ana@sandbox.example' }),
      ben: ctx.pd.store.addUser({ name: 'Ben', email: 'BEN@sandbox.example' }),
      olivia: ctx.pd.store.addUser({ name: 'Olivia', email: 'olivia@sandbox.example' }),
      zed: ctx.pd.store.addUser({ name: 'Zed', email: 'zed@elsewhere.example' }),
    };
    const started = await startEmulator();
    ctx.slack = started.emulator;
    const catalog = createCatalog({
      services: [],
      connections: {
        pagerduty: {
          kind: 'pagerduty',
          url: ctx.pd.url,
          token: { env: 'WARDEN_PAGERDUTY_TOKEN' },
          incident_prefix: 'INC',
          webhook_secrets: [],
          people: {},
        },
      },
    });
    ctx.warden = await startWarden({
      database,
      emulator: started.emulator,
      apiUrl: started.apiUrl,
      instanceId: 'oncall-a',
      catalog,
      charters: [oncallCharter()],
      planner: scaleUp,
      env: { WARDEN_PAGERDUTY_TOKEN: API_TOKEN },
    });
    ctx.slack.setWardenUrl(ctx.warden.url);
  });
  afterEach(async () => {
    expect(await verifyAuditChain({ db: ctx.warden.services.db })).toMatchObject({ ok: true });
    await stopWarden(ctx.warden);
    await ctx.slack.stop();
    await ctx.pd.stop();
  });

  const onCall = (...who: EmulatedUser[]) =>
    ctx.pd.store.setOncall({ escalationPolicyId: POLICY, onCall: who.map((user) => ({ user })) });
  const replicas = async () => {
    const [row] = await ctx.warden.services.db
      .select()
      .from(sandboxServices)
      .where(and(eq(sandboxServices.environment, 'production'), eq(sandboxServices.name, 'checkout')));
    return row?.replicas;
  };
  const stateOf = async (id: string) =>
    (await ctx.warden.services.db.select().from(proposals).where(eq(proposals.id, id)))[0]?.state;
  const cardOf = (id: string) =>
    ctx.slack.messages(people.incidents).find((m) => m.text.includes(`(proposal ${id})`));
  const click = (user: string, ts: string) =>
    ctx.slack.clickButton({ user, channel: people.incidents, messageTs: ts, actionId: 'proposal.approve' });
  const toldTo = (user: string, pattern: RegExp) =>
    waitFor(() => ctx.slack.ephemerals(user).find((e) => pattern.test(blockText(e))), {
      what: `a reply to ${user} matching ${pattern}`,
    });
  const refusals = async () =>
    (await ctx.warden.services.db.select().from(auditEvents)).filter((e) => e.action === 'approval.refused');

  async function triage() {
    await ctx.slack.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-123' });
    const [scale] = await waitFor(
      async () => {
        const rows = await ctx.warden.services.db
          .select()
          .from(proposals)
          .where(eq(proposals.tool, 'scale_service'));
        return rows.length && cardOf(rows[0]!.id) ? rows : null;
      },
      { what: 'the scale card', timeoutMs: 30_000 },
    );
    return { id: scale!.id, card: cardOf(scale!.id)! };
  }

  it('names who is on call on the card, counts their clicks, refuses others and the requester', async () => {
    const { ana, ben, olivia, zed } = ctx.users;
    // Zed is on call only at level 2, not a first responder (and unknown to Slack: counting him would fail).
    ctx.pd.store.setOncall({
      escalationPolicyId: POLICY,
      onCall: [{ user: ana }, { user: ben }, { user: olivia }, { user: zed, level: 2 }],
    });
    const { id, card } = await triage();
    expect(buttonsOf(card)).toEqual(['Approve', 'Reject']);
    expect(blockText(card)).toContain(
      `*On call now* (pd-primary, PagerDuty ${POLICY}): <@${ANA}>, <@${BEN}>, <@${people.oncall}>`,
    );
    expect(ctx.pd.calls().find((c) => c.path === '/oncalls')).toMatchObject({ method: 'GET', status: 200 });

    await click(people.owner, card.ts);
    await toldTo(
      people.owner,
      /Only members of pd-primary can approve.*On call now for pd-primary: <@U0APPROVE1>/,
    );
    // On call, but the requester: someone else must approve.
    await click(people.oncall, card.ts);
    await toldTo(people.oncall, /You requested this action; someone else must approve it/);
    expect((await refusals()).map((e) => e.reasonCode).sort()).toEqual([
      'approval.not_in_group',
      'approval.self_approval',
    ]);

    await click(ANA!, card.ts);
    await toldTo(ANA!, /1 of 2/);
    expect(await replicas()).not.toBe(9);
    await click(BEN!, card.ts);
    await waitFor(async () => (await stateOf(id)) === 'succeeded', {
      what: 'the scale-up',
      timeoutMs: 30_000,
    });
    expect(await replicas()).toBe(9);
  });

  it('fails closed when PagerDuty is down or an on-call e-mail is not in Slack, saying why', async () => {
    onCall(ctx.users.ana, ctx.users.ben);
    ctx.pd.failNext({ method: 'GET', path: /^\/oncalls$/, status: 503, times: 100 });
    const { id, card } = await triage();
    expect(blockText(card)).toMatch(/On call\* \(pd-primary, PagerDuty PESCPRD\): could not be resolved/);

    await click(ANA!, card.ts);
    await toldTo(ANA!, /could not tell who is on call \(pd-primary: PagerDuty did not say who is on call/);
    expect(await refusals()).toEqual([
      expect.objectContaining({ actor: ANA, reasonCode: 'approval.oncall_unresolved' }),
    ]);

    // PagerDuty answers again, but names someone Slack does not know: still refused, with that reason.
    ctx.pd.clearFaults();
    onCall(ctx.users.ana, ctx.users.zed);
    await click(BEN!, card.ts);
    await toldTo(BEN!, /on-call Zed's PagerDuty e-mail belongs to no Slack user/);
    expect(await refusals()).toHaveLength(2);
    expect(await replicas()).not.toBe(9);

    // Once it resolves, the same person's click counts: nothing was cached from the failures.
    onCall(ctx.users.ana, ctx.users.ben);
    await click(ANA!, card.ts);
    await toldTo(ANA!, /1 of 2/);
    expect(await stateOf(id)).toBe('pending');

    // The PagerDuty token never reaches Slack, the audit or the logs; Slack and the audit name people,
    // never their e-mails (Bolt's own debug lines show the lookup's body, as for any Web API call).
    const told = JSON.stringify([
      ctx.slack.messages(people.incidents),
      ctx.slack.ephemerals(ANA!),
      ctx.slack.ephemerals(BEN!),
      await ctx.warden.services.db.select().from(auditEvents),
    ]);
    expect(`${told}${ctx.warden.services.logs.text()}`).not.toContain(API_TOKEN);
    expect(told).not.toContain('zed@elsewhere.example');
  });

  it('honours a hand-over between clicks once the cached answer (60 s) has expired', async () => {
    onCall(ctx.users.ana);
    const { id, card } = await triage();
    expect(blockText(card)).toContain(`(pd-primary, PagerDuty ${POLICY}): <@${ANA}>`);
    await click(ANA!, card.ts);
    await toldTo(ANA!, /1 of 2/);

    onCall(ctx.users.ben); // PagerDuty hands over to Ben
    await click(BEN!, card.ts);
    await toldTo(BEN!, /Only members of pd-primary can approve/);
    const asked = ctx.pd.calls().filter((c) => c.path === '/oncalls').length;

    ctx.warden.services.clock.advance(61_000);
    await click(BEN!, card.ts);
    await waitFor(async () => (await stateOf(id)) === 'succeeded', {
      what: 'the scale-up',
      timeoutMs: 30_000,
    });
    expect(await replicas()).toBe(9);
    expect(ctx.pd.calls().filter((c) => c.path === '/oncalls').length).toBeGreaterThan(asked);
  });
});
