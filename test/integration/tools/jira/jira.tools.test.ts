import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JiraEmulator } from '../../../../src/dev/jira-emulator/index.ts';
import { isWardenError } from '../../../../src/shared/errors.ts';
import { type CatalogHarness, createCatalogHarness } from '../catalog.harness.ts';
import { checkoutWithJira, JIRA_TOKEN, jiraConnection, startJira } from './jira.fixture.ts';

/** The catalog world's Jira tools over the fake Jira, through jira.js over HTTP. */
describe('the Jira tools', () => {
  let jira: JiraEmulator;
  let h: CatalogHarness;
  beforeAll(async () => {
    jira = await startJira();
    h = await createCatalogHarness({
      services: [checkoutWithJira()],
      connections: { jira: jiraConnection(jira) },
      env: { WARDEN_JIRA_TOKEN: JIRA_TOKEN },
    });
  });
  afterAll(async () => {
    await h?.close();
    await jira?.close();
  });
  beforeEach(() => {
    jira.faults.clear();
    jira.calls.length = 0;
  });

  const ticket = {
    service: 'checkout',
    title: 'Checkout errors after v2.14',
    body: 'Error ratio 30%.',
    severity: 'sev2',
  };

  it('create_ticket files one issue in the catalog project, and a retry of the proposal finds it', async () => {
    const first = await h.call('create_ticket', ticket, { proposalId: 'prp_ticket1' });
    expect(first.data).toMatchObject({
      created: true,
      ticket: { project: 'OPS', url: expect.stringMatching(/\/browse\/OPS-\d+$/) },
    });
    const again = await h.call('create_ticket', ticket, { proposalId: 'prp_ticket1' });
    expect(again.data).toMatchObject({ created: false, ticket: first.data.ticket });
    const issues = jira.store.issues().filter((i) => i.labels.includes('warden-prp_ticket1'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ project: 'OPS', issueType: 'Task', summary: ticket.title });
    expect(issues[0]?.labels).toEqual(['warden', 'warden-prp_ticket1', 'sev2']);
    expect(JSON.stringify(issues[0]?.description)).toContain('proposal prp_ticket1');
    // Every call went through the scoped-token gateway path, with JQL bound to the project.
    expect(jira.calls.every((c) => c.scoped)).toBe(true);
    expect(jira.calls.filter((c) => c.jql).map((c) => c.jql)).toEqual([
      'project = "OPS" AND labels = "warden-prp_ticket1" ORDER BY created ASC',
      'project = "OPS" AND labels = "warden-prp_ticket1" ORDER BY created ASC',
    ]);
  });

  it('create_ticket verifies by its label: present for its proposal, absent for another', async () => {
    await h.call('create_ticket', ticket, { proposalId: 'prp_verify1' });
    expect(await h.verify('create_ticket', ticket, { proposalId: 'prp_verify1' })).toMatchObject({
      effect: 'present',
    });
    expect(await h.verify('create_ticket', ticket, { proposalId: 'prp_other1' })).toMatchObject({
      effect: 'absent',
    });
  });

  it('create_ticket called twice at once for one proposal still files one issue', async () => {
    await Promise.all([
      h.call('create_ticket', ticket, { proposalId: 'prp_twice1' }),
      h.call('create_ticket', ticket, { proposalId: 'prp_twice1' }),
    ]);
    expect(jira.store.issues().filter((i) => i.labels.includes('warden-prp_twice1'))).toHaveLength(1);
  });

  it('get_issue reads an issue of the project and refuses a key of another project before any call', async () => {
    const made = jira.store.create({
      project: 'OPS',
      issueType: 'Task',
      summary: 'Disk full',
      description: null,
      labels: [],
    });
    const read = await h.call('get_issue', { service: 'checkout', issue_key: made.key });
    expect(read.data).toMatchObject({ issue: { key: made.key, summary: 'Disk full', status: 'To Do' } });
    const other = jira.store.create({
      project: 'SEC',
      issueType: 'Task',
      summary: 'Secret',
      description: null,
      labels: [],
    });
    jira.calls.length = 0;
    const refused = await h.call('get_issue', { service: 'checkout', issue_key: other.key }).catch((e) => e);
    expect(isWardenError(refused, 'jira.outside_project')).toBe(true);
    expect(jira.calls).toEqual([]);
  });

  it('search_issues builds its JQL from structured arguments, always inside the project', async () => {
    jira.store.create({
      project: 'OPS',
      issueType: 'Task',
      summary: 'payments timeout',
      description: null,
      labels: ['db'],
    });
    jira.store.create({
      project: 'SEC',
      issueType: 'Task',
      summary: 'payments timeout',
      description: null,
      labels: ['db'],
    });
    const found = await h.call('search_issues', {
      service: 'checkout',
      text: 'payments timeout',
      label: 'db',
    });
    const keys = (found.data.issues as { key: string }[]).map((i) => i.key);
    expect(keys.length).toBe(1);
    expect(keys[0]).toMatch(/^OPS-/);
    expect(found.data.jql).toBe(
      'project = "OPS" AND text ~ "payments timeout" AND labels = "db" ORDER BY created DESC',
    );
    // Quotes and JQL operators never reach the query: the arguments refuse them.
    const escaping = await h
      .call('search_issues', { service: 'checkout', text: 'x" OR project = SEC' })
      .catch((e) => e);
    expect(isWardenError(escaping, 'tools.invalid_input')).toBe(true);
  });

  it('add_comment comments once per proposal; transition_issue moves and then does nothing', async () => {
    const made = jira.store.create({
      project: 'OPS',
      issueType: 'Task',
      summary: 'Slow',
      description: null,
      labels: [],
    });
    const args = { service: 'checkout', issue_key: made.key, body: 'Rolled back to v2.13.' };
    await h.call('add_comment', args, { proposalId: 'prp_comment1' });
    const again = await h.call('add_comment', args, { proposalId: 'prp_comment1' });
    expect(again.data).toMatchObject({ created: false });
    expect(made.comments).toHaveLength(1);
    const move = { service: 'checkout', issue_key: made.key, to_status: 'Done' };
    expect((await h.call('transition_issue', move)).data).toMatchObject({
      from: 'To Do',
      to: 'Done',
      moved: true,
    });
    expect((await h.call('transition_issue', move)).data).toMatchObject({ moved: false });
    expect(made.status.name).toBe('Done');
    const nowhere = await h.call('transition_issue', { ...move, to_status: 'Archived' }).catch((e) => e);
    expect(isWardenError(nowhere, 'jira.no_transition')).toBe(true);
  });

  it('waits out a 429 with Retry-After, and reports the rate limit when it lasts', async () => {
    jira.faults.failNext({ status: 429, retryAfterSeconds: 0, path: '/rest/api/3/search/jql' });
    const found = await h.call('search_issues', { service: 'checkout', status_category: 'To Do' });
    expect(found.data.project).toBe('OPS');
    expect(jira.calls.map((c) => c.status)).toEqual([429, 200]);
    jira.faults.failNext({ status: 429, retryAfterSeconds: 3600, path: '/rest/api/3/search/jql' });
    const limited = await h.call('search_issues', { service: 'checkout' }).catch((e) => e);
    expect(isWardenError(limited, 'system.unavailable')).toBe(true);
    expect(String(limited.message)).toContain('429');
  });

  it('cancels a call in flight when the kill switch fires, and files nothing', async () => {
    jira.faults.setLatency({ method: 'POST', path: '/rest/api/3/search/jql', ms: 5_000 });
    try {
      const controller = new AbortController();
      const call = h
        .call('create_ticket', ticket, { proposalId: 'prp_killed1', signal: controller.signal })
        .catch((e) => e);
      await new Promise((r) => setTimeout(r, 100));
      controller.abort();
      expect(isWardenError(await call, 'tools.aborted')).toBe(true);
    } finally {
      jira.faults.setLatency({ method: 'POST', path: '/rest/api/3/search/jql', ms: 0 });
    }
    expect(jira.store.issues().filter((i) => i.labels.includes('warden-prp_killed1'))).toEqual([]);
  });

  it('names the failure without the token when Jira fails or drops the connection', async () => {
    jira.faults.failNext({ status: 503, message: `upstream echoed ${JIRA_TOKEN}` });
    const failed = await h.call('get_issue', { service: 'checkout', issue_key: 'OPS-1' }).catch((e) => e);
    expect(isWardenError(failed, 'system.unavailable')).toBe(true);
    expect(JSON.stringify({ m: failed.message, d: failed.details })).not.toContain(JIRA_TOKEN);
    jira.faults.dropNext({});
    const dropped = await h.call('get_issue', { service: 'checkout', issue_key: 'OPS-1' }).catch((e) => e);
    expect(isWardenError(dropped, 'system.unreachable')).toBe(true);
  });
});
