import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Planner, PlannerStep } from '../../../../src/agents/planner.types.ts';
import { proposals } from '../../../../src/app/schema.ts';
import { createCatalog } from '../../../../src/catalog/catalog.ts';
import type { JiraEmulator } from '../../../../src/dev/jira-emulator/index.ts';
import type { SlackEmulator } from '../../../../src/dev/slack-emulator/index.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../helpers/database.ts';
import { leakFormsOf, tableText } from '../../../helpers/secret-sinks.ts';
import {
  cardOf,
  people,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../../helpers/slack-harness.ts';
import { checkoutWithJira, EMAIL, JIRA_TOKEN, jiraConnection, startJira } from './jira.fixture.ts';

const LONG = { timeoutMs: 30_000 };
const TICKET = {
  service: 'checkout',
  title: 'Checkout errors after v2.14',
  body: 'Error ratio 30%.',
  severity: 'sev2',
};

/** A planner that proposes one ticket in production at once, as a run of the triage agent would. */
function ticketPlanner(args: Record<string, unknown>): Planner {
  return {
    name: 'scripted',
    next: async (): Promise<PlannerStep> => ({
      kind: 'final',
      summary: 'Checkout errors are up; a ticket should track them.',
      proposals: [
        {
          tool: 'create_ticket',
          args,
          environment: 'production',
          rationale: 'Track the errors.',
          expectedEffect: 'A ticket exists in OPS.',
          rollback: 'Close the ticket.',
        },
      ],
      tokens: 0,
    }),
  };
}

/**
 * The shipped triage charter's create_ticket in production, in the catalog world: the guard asks for an
 * approval, an SRE approves in Slack, the click is retried by Slack, and the fake Jira holds one ticket.
 * The token never shows up in the logs, the audit trail, Slack or the stored results.
 */
describe.each(databaseKinds)('create_ticket on Jira behind the guard (%s)', { timeout: 120_000 }, (kind) => {
  let database: TestDatabase;
  let jira: JiraEmulator;
  let slack: SlackEmulator;
  let warden: WardenInstance;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    jira = await startJira();
    const catalog = createCatalog({
      services: [checkoutWithJira()],
      connections: { jira: jiraConnection(jira) },
    });
    ({ emulator: slack, warden } = await startSlack({
      database,
      instanceId: 'jira-e2e',
      catalog,
      planner: ticketPlanner(TICKET),
      env: { WARDEN_JIRA_TOKEN: JIRA_TOKEN },
    }));
  });
  afterAll(async () => {
    if (warden) await stopSlack({ emulator: slack, warden });
    await jira?.close();
    await database?.drop();
  });

  const stateOf = async (id: string) =>
    (await warden.services.db.select().from(proposals).where(eq(proposals.id, id)))[0];

  it('files the approved ticket once, however often Slack retries the click', async () => {
    const args = TICKET;
    await slack.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-42' });
    const proposal = await waitFor(
      async () =>
        (await warden.services.db.select().from(proposals).where(eq(proposals.tool, 'create_ticket')))[0],
      { what: 'the create_ticket proposal', ...LONG },
    );
    expect(proposal).toMatchObject({ state: 'pending', environment: 'production', args });
    const id = proposal.id;
    const card = await waitFor(() => cardOf(slack, people.incidents, id), {
      what: 'the approval card',
      ...LONG,
    });
    const click = await slack.clickButton({
      user: people.approvers[0],
      channel: people.incidents,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
    expect(click.status).toBe(200);
    const retried = await slack.retry(click.request, { retryNum: 1, retryReason: 'http_timeout' });
    expect(retried.status).toBe(200);
    await waitFor(async () => (await stateOf(id))?.state === 'succeeded', {
      what: 'the ticket to be filed',
      ...LONG,
    });
    // Slack tries once more, after the ticket exists: still one ticket.
    expect((await slack.retry(click.request, { retryNum: 2, retryReason: 'http_timeout' })).status).toBe(200);

    const key = (await stateOf(id))?.idempotencyKey;
    const tickets = jira.store.issues().filter((i) => i.summary === TICKET.title);
    expect(tickets[0]?.labels).toContain(`warden-${key}`);
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({ project: 'OPS', summary: 'Checkout errors after v2.14' });
    expect((await stateOf(id))?.result).toMatchObject({
      data: { created: true, ticket: { key: tickets[0]?.key } },
    });
    expect(jira.calls.filter((c) => c.method === 'POST' && c.path === '/rest/api/3/issue')).toHaveLength(1);
  });

  it('shows the Jira token nowhere: logs, audit, proposals, Slack', async () => {
    // A failure whose text echoes the token (a misbehaving proxy) must not carry it anywhere either.
    jira.faults.failNext({
      status: 502,
      message: `bad gateway for ${EMAIL}:${JIRA_TOKEN}`,
      path: '/rest/api/3/search/jql',
    });
    const proposed = await warden.services.guard.propose({
      agent: 'triage',
      tool: 'create_ticket',
      args: { service: 'checkout', title: 'Second ticket here', body: 'More.', severity: 'sev3' },
      environment: 'staging',
      requester: people.oncall,
      runId: null,
      incidentId: null,
      source: 'human',
    });
    await waitFor(
      async () => ['failed', 'succeeded'].includes((await stateOf(proposed.proposal.id))?.state ?? ''),
      {
        what: 'the staging ticket to end',
        ...LONG,
      },
    );
    const db = warden.services.db;
    const sinks = {
      logs: warden.services.logs.text(),
      audit: await tableText(db, 'audit_events'),
      proposals: await tableText(db, 'proposals'),
      slack: JSON.stringify(slack.messages(people.incidents)),
    };
    const basicAuth = Buffer.from(`${EMAIL}:${JIRA_TOKEN}`).toString('base64');
    for (const [sink, text] of Object.entries(sinks))
      for (const form of [...leakFormsOf(JIRA_TOKEN), { form: 'basic-auth', text: basicAuth }])
        expect(text.includes(form.text), `${sink} holds the token (${form.form})`).toBe(false);
    expect(sinks.audit).toContain('bad gateway');
  });
});
