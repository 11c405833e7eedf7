import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type PagerDutyEmulator,
  startPagerDutyEmulator,
} from '../../../src/dev/pagerduty-emulator/server.ts';
import type { EmulatedUser } from '../../../src/dev/pagerduty-emulator/store.ts';
import {
  createSandboxPeople,
  createSlackEmulator,
  type SlackEmulator,
} from '../../../src/dev/slack-emulator/index.ts';
import type { CharterSpec } from '../../../src/policy/charter.schemas.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { createOncallDirectory, oncallMembership } from '../../../src/slack/oncall.directory.ts';
import { createPagerDutyClient } from '../../../src/systems/pagerduty.client.ts';

const TOKEN = 'u+pdOncallDirCanary-9Kd3Wq';
const BOT_TOKEN = 'xoxb-oncall-directory-test';

const charter: Pick<CharterSpec, 'groups'> = {
  groups: {
    primary: { users: [], oncall: { connection: 'pagerduty', escalation_policy: 'PESCPRD' } },
    escalation: { users: [], oncall: { connection: 'pagerduty', escalation_policy: 'PESCPRD', levels: [2] } },
    elsewhere: { users: [], oncall: { connection: 'nope', escalation_policy: 'PESCPRD' } },
    sre: { users: ['U0APPROVE1'] },
  },
};

describe('the on-call directory: PagerDuty on-calls → e-mails → Slack users', () => {
  let pd: PagerDutyEmulator;
  let slack: SlackEmulator;
  let users: Record<'ana' | 'ben' | 'zed', EmulatedUser>;
  const clock = createManualClock();
  let logLines: string[];
  let directory: ReturnType<typeof createOncallDirectory>;

  beforeEach(async () => {
    pd = await startPagerDutyEmulator({ token: TOKEN });
    users = {
      ana: pd.store.addUser({ name: 'Ana', email: 'Ana@Sandbox.example' }),
      ben: pd.store.addUser({ name: 'Ben', email: 'ben@sandbox.example' }),
      zed: pd.store.addUser({ name: 'Zed', email: 'zed@elsewhere.example' }),
    };
    slack = createSlackEmulator({ signingSecret: 's', botToken: BOT_TOKEN, ...createSandboxPeople() });
    const { apiUrl } = await slack.start();
    const client = createPagerDutyClient({
      connection: {
        name: 'pagerduty',
        kind: 'pagerduty',
        url: pd.url,
        token: TOKEN,
        incidentPrefix: 'INC',
        webhookSecrets: [],
        people: {},
        defaultFrom: null,
      },
      sleep: async () => {},
    });
    logLines = [];
    const logger = createLogger({
      level: 'debug',
      redactor: createRedactor({ secrets: [TOKEN] }),
      destination: { write: (line: string) => logLines.push(line) } as unknown as NodeJS.WritableStream,
    });
    directory = createOncallDirectory({
      pagerduty: (name) => (name === 'pagerduty' ? client : null),
      client: new WebClient(BOT_TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 } }),
      clock,
      logger,
    });
  });
  afterEach(async () => {
    await pd.stop();
    await slack.stop();
  });

  const oncallAsks = () => pd.calls().filter((c) => c.path === '/oncalls').length;

  it('resolves level 1 (or the levels named) to Slack users, keeps the answer 60 s, then asks again', async () => {
    pd.store.setOncall({
      escalationPolicyId: 'PESCPRD',
      onCall: [{ user: users.ana }, { user: users.ben, level: 2 }],
    });
    pd.store.setOncall({ escalationPolicyId: 'POTHER1', onCall: [{ user: users.zed }] });
    const first = await directory.statusOf({ charter, groups: ['primary', 'escalation', 'sre'] });
    expect(first).toEqual([
      {
        group: 'primary',
        escalationPolicy: 'PESCPRD',
        ok: true,
        people: [{ userId: 'U0APPROVE1', name: 'Ana' }],
      },
      {
        group: 'escalation',
        escalationPolicy: 'PESCPRD',
        ok: true,
        people: [{ userId: 'U0APPROVE2', name: 'Ben' }],
      },
    ]);
    expect(oncallMembership(first).members).toEqual({ primary: ['U0APPROVE1'], escalation: ['U0APPROVE2'] });
    const asked = pd.calls().find((c) => c.path === '/oncalls');
    expect(asked).toMatchObject({ authorization: `Token token=${TOKEN}`, status: 200 });

    pd.store.setOncall({ escalationPolicyId: 'PESCPRD', onCall: [{ user: users.ben }] });
    clock.advance(59_000);
    expect((await directory.statusOf({ charter, groups: ['primary'] }))[0]).toMatchObject({
      people: [{ userId: 'U0APPROVE1' }],
    });
    expect(oncallAsks()).toBe(2);
    clock.advance(2_000);
    expect((await directory.statusOf({ charter, groups: ['primary'] }))[0]).toMatchObject({
      people: [{ userId: 'U0APPROVE2' }],
    });
    expect(oncallAsks()).toBe(3);
  });

  it('fails closed, saying why, and keeps no failure', async () => {
    pd.store.setOncall({ escalationPolicyId: 'PESCPRD', onCall: [{ user: users.ana }] });
    pd.failNext({ path: /^\/oncalls$/, status: 429, resetSeconds: 60 });
    const limited = await directory.statusOf({ charter, groups: ['primary', 'elsewhere'] });
    expect(limited).toEqual([
      {
        group: 'primary',
        escalationPolicy: 'PESCPRD',
        ok: false,
        reason: 'PagerDuty did not say who is on call (system.rate_limited)',
      },
      {
        group: 'elsewhere',
        escalationPolicy: 'PESCPRD',
        ok: false,
        reason: 'the catalog has no PagerDuty connection "nope"',
      },
    ]);
    expect(oncallMembership(limited)).toEqual({
      members: {},
      unresolved: [
        { group: 'primary', reason: expect.stringContaining('rate_limited') },
        { group: 'elsewhere', reason: expect.stringContaining('"nope"') },
      ],
    });
    // The next question is asked again (nothing was cached), and answered.
    expect((await directory.statusOf({ charter, groups: ['primary'] }))[0]).toMatchObject({ ok: true });

    clock.advance(61_000);
    pd.store.setOncall({ escalationPolicyId: 'PESCPRD', onCall: [{ user: users.ana }, { user: users.zed }] });
    expect((await directory.statusOf({ charter, groups: ['primary'] }))[0]).toMatchObject({
      ok: false,
      reason: "on-call Zed's PagerDuty e-mail belongs to no Slack user",
    });
    pd.store.setOncall({ escalationPolicyId: 'PESCPRD', onCall: [] });
    expect((await directory.statusOf({ charter, groups: ['primary'] }))[0]).toMatchObject({
      ok: false,
      reason: 'PagerDuty lists nobody on call',
    });
    pd.failNext({ path: /^\/oncalls$/, status: 401 });
    expect((await directory.statusOf({ charter, groups: ['primary'] }))[0]).toMatchObject({
      ok: false,
      reason: 'PagerDuty did not say who is on call (system.unauthorized)',
    });
    expect(logLines.join('')).not.toContain(TOKEN);
  });
});
