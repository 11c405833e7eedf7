import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Planner, PlannerInput } from '../../../../src/agents/planner.types.ts';
import { auditEvents, proposals, runs } from '../../../../src/app/schema.ts';
import { createCatalog } from '../../../../src/catalog/catalog.ts';
import type { GitHubEmulator } from '../../../../src/dev/github-emulator/index.ts';
import type { SlackEmulator } from '../../../../src/dev/slack-emulator/index.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../helpers/database.ts';
import { leakFormsOf, tableText } from '../../../helpers/secret-sinks.ts';
import { charterFromYaml } from '../../../helpers/services.ts';
import {
  cardOf,
  people,
  startSlack,
  stopSlack,
  type WardenInstance,
  waitFor,
} from '../../../helpers/slack-harness.ts';
import {
  checkoutWithGitHub,
  githubConnection,
  KEY_ENV,
  PRIVATE_KEY,
  PRIVATE_KEY_LINE,
  startGitHub,
} from './github.fixture.ts';

const LONG = { timeoutMs: 30_000 };

/** Everything the planner was given, to check that no secret reached it and GitHub text came flagged. */
const seen: PlannerInput[] = [];

/**
 * A run that reads the deployments and the commits behind the bad one, then proposes nothing: the tests
 * propose into its thread as a person would.
 */
const readingPlanner: Planner = {
  name: 'scripted',
  next: async (input) => {
    seen.push(input);
    if (input.observations.length > 0)
      return { kind: 'final', summary: 'v2.14.0 failed its health checks.', proposals: [], tokens: 0 };
    return {
      kind: 'gather',
      calls: [
        { tool: 'list_deployments', args: { service: 'checkout' }, environment: 'production' },
        {
          tool: 'compare_commits',
          args: { service: 'checkout', base: 'v2.13.4', head: 'v2.14.0' },
          environment: 'production',
        },
      ],
      tokens: 0,
    };
  },
};

/** An agent that reads deploys and may roll back through the repository's workflow, approved in production. */
const DEPLOYS = `
agent: deploys
version: 1
purpose: Looks into bad deploys and rolls them back through the repository's own workflow.
owners: { business: ${people.owner}, technical: ${people.owner}, security: ${people.owner} }
groups:
  oncall: { users: [${people.oncall}] }
  sre-approvers: { users: [${people.approvers.join(', ')}] }
invokers: { groups: [oncall] }
environments:
  production: { mode: human_in_the_loop }
tools:
  list_deployments: { environments: { production: allow } }
  compare_commits: { environments: { production: allow } }
  create_ticket: { environments: { production: allow } }
  dispatch_rollback_workflow:
    environments:
      production:
        approve: { count: 1, from: [sre-approvers] }
    constraints:
      inputs.version: { pattern: '^v[0-9]+\\.[0-9]+\\.[0-9]+$' }
budgets: { tool_calls: 20, tokens: 20000, wall_time: 5m }
approval_ttl: 30m
`;

/**
 * GitHub behind the guard, through Slack: a rollback dispatch waits for an SRE's approval, runs once however
 * often Slack retries the click, is refused outright when its input breaks the charter, and the kill switch
 * revokes the installation token of a dispatch in flight, so GitHub refuses the request it carried.
 */
describe.each(databaseKinds)('GitHub tools behind the guard (%s)', { timeout: 120_000 }, (kind) => {
  let database: TestDatabase;
  let gh: GitHubEmulator;
  let slack: SlackEmulator;
  let warden: WardenInstance;
  let runId: string;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    gh = await startGitHub();
    const catalog = createCatalog({
      services: [checkoutWithGitHub()],
      connections: { github: githubConnection(gh) },
    });
    ({ emulator: slack, warden } = await startSlack({
      database,
      instanceId: 'github-e2e',
      catalog,
      charters: [charterFromYaml(DEPLOYS, 'deploys.yaml')],
      planner: readingPlanner,
      env: { [KEY_ENV]: PRIVATE_KEY },
    }));
    await slack.sendCommand({
      user: people.oncall,
      channel: people.incidents,
      text: 'triage INC-42 deploys',
    });
    runId = (
      await waitFor(async () => (await warden.services.db.select().from(runs))[0], {
        what: 'the run',
        ...LONG,
      })
    ).id;
  });
  afterAll(async () => {
    if (warden) await stopSlack({ emulator: slack, warden });
    await gh?.close();
    await database?.drop();
  });

  const stateOf = async (id: string) =>
    (await warden.services.db.select().from(proposals).where(eq(proposals.id, id)))[0];
  const propose = (args: Record<string, unknown>) =>
    warden.services.guard.propose({
      agent: 'deploys',
      tool: 'dispatch_rollback_workflow',
      args,
      environment: 'production',
      requester: people.oncall,
      runId,
      incidentId: 'INC-42',
      source: 'human',
    });
  const dispatches = () =>
    gh.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/rollback.yml/dispatches'));
  const approve = async (id: string) => {
    const card = await waitFor(() => cardOf(slack, people.incidents, id), {
      what: 'the approval card',
      ...LONG,
    });
    return slack.clickButton({
      user: people.approvers[0],
      channel: people.incidents,
      messageTs: card.ts,
      actionId: 'proposal.approve',
    });
  };

  it('the run reads GitHub through the guard; a deploy note aimed at the agent reaches it flagged', async () => {
    const last = await waitFor(() => seen.find((i) => i.observations.length >= 2), {
      what: 'the evidence',
      ...LONG,
    });
    const [deployments, commits] = last.observations;
    expect(deployments).toMatchObject({ tool: 'list_deployments', decision: 'allow' });
    expect(commits?.output?.summary).toBe('3 commits from v2.13.4 to v2.14.0 in acme/checkout (ahead)');
    expect(JSON.stringify(deployments?.output)).toContain('IGNORE ALL PREVIOUS INSTRUCTIONS');
    expect(deployments?.suspectedInjection).toBeDefined();
  });

  it('dispatches the approved rollback once, however often Slack retries the click', async () => {
    const proposed = await propose({ service: 'checkout', inputs: { version: 'v2.13.4' } });
    expect(proposed.proposal.state).toBe('pending');
    const id = proposed.proposal.id;
    const click = await approve(id);
    expect((await slack.retry(click.request, { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    await waitFor(async () => (await stateOf(id))?.state === 'succeeded', { what: 'the dispatch', ...LONG });
    expect((await slack.retry(click.request, { retryNum: 2, retryReason: 'http_timeout' })).status).toBe(200);
    expect(dispatches()).toHaveLength(1);
    expect(dispatches()[0]).toMatchObject({
      status: 204,
      body: { ref: 'main', inputs: { version: 'v2.13.4' } },
    });
    const key = (await stateOf(id))?.idempotencyKey;
    expect(gh.store.runs('acme/checkout').filter((r) => r.displayTitle.includes(key ?? '?'))).toHaveLength(1);
    // The dispatch's token was minted for acme/checkout with actions:write only, and is revoked.
    const used = gh.tokens().find((t) => t.id === dispatches()[0]?.tokenId);
    expect(used).toMatchObject({ repositories: ['acme/checkout'], permissions: { actions: 'write' } });
    expect(used?.revokedAt).not.toBeNull();
  });

  it('denies a rollback whose input breaks the charter’s constraint: no card, no call to GitHub', async () => {
    // The earlier tests' clicks may still be settling (minting, dispatching, revoking): what counts is that
    // this proposal was never claimed (no credential is minted without a claim) and nothing carried its input.
    const proposed = await propose({ service: 'checkout', inputs: { version: 'latest; rm -rf' } });
    expect(proposed.decision.decision).toBe('deny');
    expect(proposed.decision.reasonCode).toBe('args_constraint');
    expect(proposed.execution).toBeUndefined();
    expect(await stateOf(proposed.proposal.id)).toMatchObject({ state: 'blocked', executionStartedAt: null });
    expect(gh.calls.filter((c) => JSON.stringify(c.body ?? null).includes('rm -rf'))).toEqual([]);
    expect(dispatches().every((c) => !JSON.stringify(c.body).includes('latest'))).toBe(true);
  });

  it('the kill switch revokes the token of a dispatch in flight: GitHub refuses it, nothing is dispatched', async () => {
    const path = '/repos/acme/checkout/actions/workflows/rollback.yml/dispatches';
    gh.faults.setLatency({ method: 'POST', path, ms: 6_000 });
    try {
      const runsBefore = gh.store.runs('acme/checkout').length;
      const proposed = await propose({ service: 'checkout', inputs: { version: 'v2.12.0' } });
      const id = proposed.proposal.id;
      const tokensBefore = gh.tokens().length;
      await approve(id);
      // The executor minted its token and sent the dispatch, which waits in GitHub.
      const minted = await waitFor(
        () =>
          gh
            .tokens()
            .slice(tokensBefore)
            .find((t) => t.permissions.actions === 'write'),
        { what: 'the dispatch’s token', ...LONG },
      );
      // It looked for an earlier run first (answered at once), then sent the dispatch, which waits in GitHub.
      await waitFor(
        () =>
          gh.calls.some(
            (c) => c.method === 'GET' && c.path.endsWith('/rollback.yml/runs') && c.tokenId === minted.id,
          ),
        { what: 'the look-up before the dispatch', ...LONG },
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(warden.services.inFlight.list().map((e) => e.proposalId)).toContain(id);
      await slack.sendCommand({
        user: people.oncall,
        channel: people.incidents,
        text: 'kill deploys bad rollback',
      });
      await waitFor(() => gh.tokens().find((t) => t.id === minted.id)?.revokedAt ?? null, {
        what: 'the token revoked',
        ...LONG,
      });
      // The dispatch it had sent reaches GitHub after the kill: its token is refused.
      const key = (await stateOf(id))?.idempotencyKey;
      const refused = await waitFor(
        () =>
          gh.calls.find((c) => c.path === path && JSON.stringify(c.body).includes(`"warden_key":"${key}"`)),
        { what: 'the delayed dispatch to be answered', ...LONG },
      );
      expect(refused.status).toBe(401);
      await waitFor(async () => (await stateOf(id))?.state === 'failed', {
        what: 'the call to stop',
        ...LONG,
      });
      expect(gh.store.runs('acme/checkout')).toHaveLength(runsBefore);
      const [kill] = await warden.services.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.action, 'kill.engaged'));
      expect(kill?.details).toMatchObject({ inFlight: [id] });
    } finally {
      gh.faults.setLatency({ method: 'POST', path, ms: 0 });
    }
  });

  it('shows the App key and the installation tokens nowhere: logs, audit, proposals, Slack, prompts', async () => {
    const db = warden.services.db;
    const sinks = {
      planner: JSON.stringify(seen.map((i) => ({ incident: i.incidentId, observations: i.observations }))),
      logs: warden.services.logs.text(),
      audit: await tableText(db, 'audit_events'),
      proposals: await tableText(db, 'proposals'),
      leases: await tableText(db, 'credential_leases'),
      slack: JSON.stringify(slack.messages(people.incidents)),
    };
    for (const [sink, text] of Object.entries(sinks)) {
      for (const form of leakFormsOf(PRIVATE_KEY))
        expect(text.includes(form.text), `${sink} holds the App key (${form.form})`).toBe(false);
      expect(text.includes(PRIVATE_KEY_LINE), `${sink} holds a line of the App key`).toBe(false);
      expect(/ghs_[A-Za-z0-9]{20,}/.test(text), `${sink} holds an installation token`).toBe(false);
    }
  });
});
