import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { GitHubEmulator } from '../../../../src/dev/github-emulator/index.ts';
import { isWardenError } from '../../../../src/shared/errors.ts';
import { newId } from '../../../../src/shared/ids.ts';
import { type CatalogHarness, createCatalogHarness } from '../catalog.harness.ts';
import {
  checkoutWithGitHub,
  githubConnection,
  KEY_ENV,
  PRIVATE_KEY,
  startGitHub,
  statusWithToken,
  tokenRecordingFetch,
} from './github.fixture.ts';

const TICKET = {
  service: 'checkout',
  title: 'Checkout errors after v2.14.0',
  body: 'Error ratio 30%.',
  severity: 'sev2',
};

describe('the GitHub tools against a fake GitHub', { timeout: 60_000 }, () => {
  let gh: GitHubEmulator;
  let h: CatalogHarness;
  const recorded = tokenRecordingFetch();
  beforeAll(async () => {
    gh = await startGitHub();
    h = await createCatalogHarness({
      services: [checkoutWithGitHub()],
      connections: { github: githubConnection(gh) },
      env: { [KEY_ENV]: PRIVATE_KEY },
      fetch: recorded.fetch,
    });
  });
  afterAll(async () => {
    await h?.close();
    await gh?.close();
  });

  /** The tokens minted since `before`, as the fake saw them (never their values). */
  const mintedSince = (before: number) => gh.tokens().slice(before);

  it('lists deployments with a token for deployments:read on the one repository, revoked when the call ends', async () => {
    const before = gh.tokens().length;
    const result = await h.call('list_deployments', { service: 'checkout', limit: 5 });
    expect(result.summary).toMatch(
      /2 recent deployments of acme\/checkout to production: v2\.14\.0 \([0-9a-f]{7}\) failure, v2\.13\.4/,
    );
    expect(result.data.deployments).toMatchObject([
      { ref: 'v2.14.0', state: 'failure' },
      { ref: 'v2.13.4', state: 'success' },
    ]);
    const [token] = mintedSince(before);
    expect(mintedSince(before)).toHaveLength(1);
    expect(token).toMatchObject({ repositories: ['acme/checkout'], permissions: { deployments: 'read' } });
    expect(token?.revokedAt).not.toBeNull();
    // The token on the wire is dead: the fake refuses it.
    const sent = recorded.tokens.at(-1) ?? '';
    expect(await statusWithToken(gh, sent)).toBe(401);
  });

  it('lists the commits between two versions and the workflow runs, each with its own narrowed token', async () => {
    const before = gh.tokens().length;
    const compared = await h.call('compare_commits', {
      service: 'checkout',
      base: 'v2.13.4',
      head: 'v2.14.0',
    });
    expect(compared.summary).toBe('3 commits from v2.13.4 to v2.14.0 in acme/checkout (ahead)');
    expect((compared.data.commits as { message: string }[]).map((c) => c.message)).toEqual([
      'Cache payment tokens for 10 minutes',
      'Retry the card processor on 503',
      'Release v2.14.0',
    ]);
    const runs = await h.call('list_workflow_runs', { service: 'checkout', workflow: 'deploy.yml' });
    expect(runs.summary).toContain('1 recent workflow run in acme/checkout (deploy.yml), 1 failed');
    expect(mintedSince(before)).toMatchObject([
      { repositories: ['acme/checkout'], permissions: { contents: 'read' } },
      { repositories: ['acme/checkout'], permissions: { actions: 'read' } },
    ]);
    // GitHub adds metadata:read to every token; nothing else beyond what was asked.
    for (const t of mintedSince(before)) expect(Object.keys(t.permissions).length).toBeLessThanOrEqual(2);
    expect(mintedSince(before).every((t) => t.revokedAt !== null)).toBe(true);
  });

  it('refuses a ref that could be a path or a range before calling GitHub', async () => {
    const calls = gh.calls.length;
    for (const base of ['../../etc', 'a..b', '-x'])
      await expect(
        h.call('compare_commits', { service: 'checkout', base, head: 'v2.14.0' }),
      ).rejects.toThrow();
    expect(gh.calls.length).toBe(calls);
  });

  it('files a ticket as a GitHub issue once per proposal: a retry finds it by its hidden marker', async () => {
    const proposalId = newId('prp');
    const first = await h.call('create_ticket', TICKET, { proposalId });
    expect(first.data).toMatchObject({ created: true, ticket: { repository: 'acme/checkout' } });
    const again = await h.call('create_ticket', TICKET, { proposalId });
    expect(again.data).toMatchObject({ created: false, ticket: first.data.ticket });
    const issues = gh.store.issues('acme/checkout').filter((i) => i.title === TICKET.title);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.labels.map((l) => l.name).sort()).toEqual(['sev2', 'warden']);
    expect(issues[0]?.body).toContain(`<!-- warden:idempotency-key=${proposalId} -->`);
    const verified = await h.verify('create_ticket', TICKET, { proposalId });
    expect(verified).toMatchObject({ effect: 'present' });
    expect(await h.verify('create_ticket', TICKET, { proposalId: newId('prp') })).toMatchObject({
      effect: 'absent',
    });
    const creates = gh.calls.filter((c) => c.method === 'POST' && c.path === '/repos/acme/checkout/issues');
    expect(creates).toHaveLength(1);
  });

  it('comments on an issue once per proposal, and only on an issue of the service’s repository', async () => {
    const issue = gh.store.addIssue({ repo: 'acme/checkout', title: 'Incident 42' });
    const proposalId = newId('prp');
    const args = { service: 'checkout', issue_number: issue.number, body: 'Rolled back to v2.13.4.' };
    expect((await h.call('comment_github_issue', args, { proposalId })).data).toMatchObject({
      created: true,
    });
    expect((await h.call('comment_github_issue', args, { proposalId })).data).toMatchObject({
      created: false,
    });
    expect(gh.store.issues('acme/checkout').find((i) => i.number === issue.number)?.comments).toHaveLength(1);
    const missing = h.call(
      'comment_github_issue',
      { ...args, issue_number: 99_999 },
      { proposalId: newId('prp') },
    );
    await expect(missing).rejects.toSatisfy((e) => isWardenError(e, 'system.not_found'));
  });

  it('dispatches the rollback workflow with the catalog’s inputs and the key, once per proposal', async () => {
    const proposalId = newId('prp');
    const args = { service: 'checkout', inputs: { version: 'v2.13.4' } };
    const first = await h.call('dispatch_rollback_workflow', args, { proposalId });
    expect(first.summary).toMatch(
      /^Dispatched rollback\.yml on main in acme\/checkout with version=v2\.13\.4 \(run #\d+/,
    );
    const again = await h.call('dispatch_rollback_workflow', args, { proposalId });
    expect(again.summary).toMatch(/^Already dispatched/);
    const dispatches = gh.calls.filter(
      (c) => c.method === 'POST' && c.path.endsWith('/rollback.yml/dispatches'),
    );
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]?.body).toEqual({
      ref: 'main',
      inputs: { version: 'v2.13.4', warden_key: proposalId },
    });
    expect(await h.verify('dispatch_rollback_workflow', args, { proposalId })).toMatchObject({
      effect: 'present',
    });
    // No run shows another key: GitHub may still be creating it, so the answer is unknown, never absent.
    const other = await h.verify('dispatch_rollback_workflow', args, { proposalId: newId('prp') });
    expect(other).toMatchObject({ effect: 'unknown' });
  });

  it('refuses inputs the catalog does not list, and the key input itself, before calling GitHub', async () => {
    const calls = gh.calls.length;
    for (const inputs of [{ version: 'v1', ref: 'evil' }, { warden_key: 'forged' }]) {
      const refused = h.call('dispatch_rollback_workflow', { service: 'checkout', inputs });
      await expect(refused).rejects.toThrow(/rollback\.yml takes only version from a proposal/);
    }
    expect(gh.calls.slice(calls).some((c) => c.path.endsWith('/dispatches'))).toBe(false);
  });

  it('turns GitHub’s refusals and rate limits into messages a person can act on, and revokes the token still', async () => {
    gh.faults.failNext({
      path: '/repos/acme/checkout/deployments',
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1893456000' },
      body: { message: 'API rate limit exceeded for installation ID 4242.' },
    });
    const before = gh.tokens().length;
    const limited = h.call('list_deployments', { service: 'checkout' });
    await expect(limited).rejects.toThrow(
      /github is rate-limiting Warden \(403\); try again after 2030-01-01T00:00:00\.000Z/,
    );
    expect(mintedSince(before)[0]?.revokedAt).not.toBeNull();
    gh.faults.dropNext({ path: '/repos/acme/checkout/compare/v2.13.4...v2.14.0' });
    const dropped = h.call('compare_commits', { service: 'checkout', base: 'v2.13.4', head: 'v2.14.0' });
    await expect(dropped).rejects.toSatisfy((e) => isWardenError(e, 'system.unreachable'));
  });

  it('revokes the tokens of a proposal’s calls in flight when the kill switch names it', async () => {
    const access = h.systems.github('github');
    if (!access) throw new Error('no github access');
    const before = gh.tokens().length;
    const session = await access.session({
      repository: 'acme/checkout',
      permissions: { actions: 'read' },
      proposalId: 'prp_killed',
    });
    const sent = recorded.tokens.at(-1) ?? '';
    await h.systems.revokeForProposals(['prp_killed']);
    expect(mintedSince(before)[0]?.revokedAt).not.toBeNull();
    expect(await statusWithToken(gh, sent)).toBe(401);
    await expect(session.call('GET /repos/{owner}/{repo}', {}, z.unknown())).rejects.toThrow(/cancelled/);
  });

  it('revokes the token of a call cancelled in flight, and the call fails', async () => {
    gh.faults.setLatency({ ms: 1_500 });
    const before = gh.tokens().length;
    const controller = new AbortController();
    try {
      const call = h.call('list_workflow_runs', { service: 'checkout' }, { signal: controller.signal });
      const minted = await waitUntil(() => mintedSince(before)[0]);
      controller.abort(new Error('kill switch'));
      await expect(call).rejects.toSatisfy((e) => isWardenError(e, 'tools.aborted'));
      expect(gh.tokens().find((t) => t.id === minted.id)?.revokedAt).not.toBeNull();
    } finally {
      gh.faults.setLatency({ ms: 0 });
    }
  });

  it('shows the App key and the installation tokens nowhere the redactor guards', () => {
    const sample = `key=${PRIVATE_KEY} tokens=${recorded.tokens.join(',')}`;
    const redacted = h.redactor.redactText(sample);
    expect(redacted).not.toContain(PRIVATE_KEY);
    for (const token of recorded.tokens) expect(redacted).not.toContain(token);
  });
});

async function waitUntil<T>(check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = check();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}
