import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubEmulator, startSampleGitHub } from '../../../src/dev/github-emulator/index.ts';
import { log, refusal, sampleOctokit } from './github-emulator.helpers.ts';

const repo = { owner: 'acme', repo: 'checkout' };

describe('the GitHub emulator: Actions workflows, runs and workflow_dispatch', () => {
  let gh: GitHubEmulator;
  let octokit: Octokit;
  beforeAll(async () => {
    const started = await startSampleGitHub();
    gh = started.gh;
    octokit = sampleOctokit({ url: gh.url, privateKey: started.privateKey });
    gh.store.addWorkflow({
      repo: 'acme/checkout',
      name: 'Nightly',
      path: '.github/workflows/nightly.yml',
      events: ['schedule'],
    });
  });
  afterAll(() => gh?.close());

  const dispatch = (
    inputs: Record<string, string>,
    ref = 'main',
    workflow_id: string | number = 'rollback.yml',
  ) => octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id, ref, inputs });

  it('finds a workflow by id or by file name', async () => {
    const byFile = await octokit.rest.actions.getWorkflow({ ...repo, workflow_id: 'rollback.yml' });
    expect(byFile.data).toMatchObject({
      id: 161336,
      name: 'Rollback',
      path: '.github/workflows/rollback.yml',
    });
    const byId = await octokit.rest.actions.getWorkflow({ ...repo, workflow_id: 161336 });
    expect(byId.data.name).toBe('Rollback');
    expect(
      (await refusal(octokit.rest.actions.getWorkflow({ ...repo, workflow_id: 'nope.yml' }))).status,
    ).toBe(404);
  });

  it('refuses dispatches GitHub refuses, with its messages', async () => {
    expect(await refusal(dispatch({ service: 'checkout', version: 'v1.4.0', force: 'yes' }))).toEqual({
      status: 422,
      message: 'Unexpected inputs provided: ["force"]',
    });
    expect(await refusal(dispatch({ service: 'checkout' }))).toEqual({
      status: 422,
      message: "Required input 'version' not provided",
    });
    expect((await refusal(dispatch({ service: 'ledger', version: 'v1' }))).message).toBe(
      "Provided value 'ledger' for input 'service' not in the list of allowed values",
    );
    expect(await refusal(dispatch({ service: 'checkout', version: 'v1' }, 'no-such-branch'))).toEqual({
      status: 422,
      message: 'No ref found for: no-such-branch',
    });
    expect(await refusal(dispatch({}, 'main', 'nightly.yml'))).toEqual({
      status: 422,
      message: "Workflow does not have 'workflow_dispatch' trigger",
    });
    expect((await refusal(dispatch({}, 'main', 'missing.yml'))).status).toBe(404);
    const many = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`i${i}`, 'x']));
    expect((await refusal(dispatch(many))).status).toBe(422);
    expect((await refusal(dispatch({ service: 'checkout', version: 'x'.repeat(70_000) }))).status).toBe(422);
    expect(gh.store.runs('acme/checkout').some((r) => r.event === 'workflow_dispatch')).toBe(false);
  });

  it('creates a queued run for a valid dispatch, titled by the run-name template', async () => {
    const answer = await dispatch({ service: 'checkout', version: 'v1.4.0' }, 'v1.5.0');
    expect(answer.status).toBe(204);
    expect(answer.data).toBeFalsy(); // no body
    const run = gh.store.runs('acme/checkout')[0];
    expect(run).toMatchObject({
      event: 'workflow_dispatch',
      status: 'queued',
      displayTitle: 'Rollback checkout to v1.4.0',
      headBranch: 'v1.5.0',
      actor: 'warden-test[bot]',
      inputs: { service: 'checkout', version: 'v1.4.0', reason: 'incident' },
    });
    const listed = await octokit.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'rollback.yml' });
    expect(listed.data.total_count).toBe(1);
    expect(listed.data.workflow_runs[0]).toMatchObject({
      id: run?.id,
      display_title: 'Rollback checkout to v1.4.0',
      event: 'workflow_dispatch',
      status: 'queued',
      conclusion: null,
      name: 'Rollback',
      workflow_id: 161336,
      actor: { login: 'warden-test[bot]', type: 'Bot' },
    });
    expect(gh.calls.find((c) => c.path.endsWith('/dispatches') && c.status === 204)?.body).toEqual({
      ref: 'v1.5.0',
      inputs: { service: 'checkout', version: 'v1.4.0' },
    });
  });

  it('lists runs newest first, filtered by event, status, branch and created', async () => {
    const all = await octokit.rest.actions.listWorkflowRunsForRepo(repo);
    const created = all.data.workflow_runs.map((r) => r.created_at);
    expect(created).toEqual([...created].sort().reverse());
    const pushes = await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, event: 'push' });
    expect(pushes.data.total_count).toBe(3);
    const failed = await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, status: 'failure' });
    expect(failed.data.workflow_runs.map((r) => r.conclusion)).toEqual(['failure']);
    const recent = await octokit.rest.actions.listWorkflowRunsForRepo({
      ...repo,
      event: 'push',
      created: '>=2026-12-04T00:00:00Z',
    });
    expect(recent.data.workflow_runs.map((r) => r.created_at)).toEqual([
      '2026-12-05T12:30:00Z',
      '2026-12-04T12:30:00Z',
    ]);
    const oneDay = await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, created: '2026-12-03' });
    expect(oneDay.data.total_count).toBe(1);
    const paged = await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, event: 'push', per_page: 2 });
    expect(paged.data.workflow_runs).toHaveLength(2);
    expect(paged.headers.link).toContain('rel="next"');
    const everyPush = await octokit.paginate(octokit.rest.actions.listWorkflowRunsForRepo, {
      ...repo,
      event: 'push',
      per_page: 2,
    });
    expect(everyPush).toHaveLength(3);
  });

  it('needs actions:write to dispatch and actions:read to list', async () => {
    const { token } = (await octokit.auth({
      type: 'installation',
      repositoryNames: ['checkout'],
      permissions: { actions: 'read' },
    })) as { token: string };
    const reader = new Octokit({ baseUrl: gh.url, auth: token, log });
    expect((await reader.rest.actions.listWorkflowRunsForRepo(repo)).status).toBe(200);
    const refused = await refusal(
      reader.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'rollback.yml', ref: 'main' }),
    );
    expect(refused).toEqual({ status: 403, message: 'Resource not accessible by integration' });
  });
});
