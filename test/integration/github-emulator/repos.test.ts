import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubEmulator, startSampleGitHub } from '../../../src/dev/github-emulator/index.ts';
import { log, refusal, sampleOctokit } from './github-emulator.helpers.ts';

const repo = { owner: 'acme', repo: 'checkout' };

describe('the GitHub emulator: repositories, deployments and compare', () => {
  let gh: GitHubEmulator;
  let octokit: Octokit;
  beforeAll(async () => {
    const started = await startSampleGitHub();
    gh = started.gh;
    octokit = sampleOctokit({ url: gh.url, privateKey: started.privateKey });
  });
  afterAll(() => gh?.close());

  it('answers the repository with the fields GitHub records', async () => {
    const { data } = await octokit.rest.repos.get(repo);
    expect(data).toMatchObject({
      name: 'checkout',
      full_name: 'acme/checkout',
      default_branch: 'main',
      private: true,
      visibility: 'private',
      html_url: 'https://github.com/acme/checkout',
      url: `${gh.url}/repos/acme/checkout`,
      owner: { login: 'acme', type: 'Organization' },
      pushed_at: '2026-12-04T12:00:00Z',
    });
    expect(data.compare_url).toBe(`${gh.url}/repos/acme/checkout/compare/{base}...{head}`);
  });

  it('lists deployments newest first, filtered by environment, with their statuses', async () => {
    const all = await octokit.rest.repos.listDeployments(repo);
    expect(all.data.map((d) => [d.environment, d.ref])).toEqual([
      ['production', 'v1.5.0'],
      ['staging', 'v1.5.0'],
      ['production', 'v1.4.0'],
    ]);
    const production = await octokit.rest.repos.listDeployments({
      ...repo,
      environment: 'production',
      per_page: 1,
    });
    expect(production.data).toHaveLength(1);
    expect(production.headers.link).toContain('page=2>; rel="next"');
    const statuses = await octokit.rest.repos.listDeploymentStatuses({
      ...repo,
      deployment_id: production.data[0]?.id ?? 0,
    });
    expect(statuses.data.map((s) => s.state)).toEqual(['success', 'in_progress']);
    const missing = await refusal(octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: 1 }));
    expect(missing.status).toBe(404);
  });

  it('compares two tags: ahead by the release commits, oldest first', async () => {
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: 'v1.4.0...v1.5.0',
    });
    expect(data).toMatchObject({ status: 'ahead', ahead_by: 3, behind_by: 0, total_commits: 3, files: [] });
    expect(data.commits.map((c) => c.commit.message)).toEqual([
      'Retry payment authorisation once',
      'Cache exchange rates for 60 s',
      'Raise connection pool to 40',
    ]);
    const [first] = data.commits;
    expect(first?.parents[0]?.sha).toBe(data.merge_base_commit.sha);
    expect(first?.author?.login).toBe('ana');
    expect(first?.commit.author).toEqual({
      name: 'Octo Cat',
      email: 'octocat@users.noreply.github.com',
      date: '2026-12-02T10:00:00Z',
    });
    const behind = await octokit.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: 'v1.5.0...v1.4.0',
    });
    expect(behind.data).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 3, commits: [] });
    const same = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'main...v1.5.0' });
    expect(same.data.status).toBe('identical');
  });

  it('resolves short and full shas and branches; diverged histories; unknown refs are 404', async () => {
    const tip = gh.store.repository('acme/checkout')?.git.resolve('v1.5.0')?.sha ?? '';
    gh.store.addCommits({
      repo: 'acme/checkout',
      branch: 'hotfix',
      from: 'v1.4.0',
      commits: [{ message: 'Hotfix' }],
    });
    const diverged = await octokit.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `${tip.slice(0, 7)}...hotfix`,
    });
    expect(diverged.data).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 3 });
    expect(diverged.data.merge_base_commit.commit.message).toBe('Add checkout service');
    const full = await octokit.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `v1.4.0...${tip}`,
    });
    expect(full.data.ahead_by).toBe(3);
    expect(
      await refusal(octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'v1.4.0...v9.9.9' })),
    ).toEqual({
      status: 404,
      message: 'No commit found for the ref v9.9.9',
    });
  });

  it('needs contents:read to compare', async () => {
    const { token } = (await octokit.auth({
      type: 'installation',
      repositoryNames: ['checkout'],
      permissions: { deployments: 'read' },
    })) as { token: string };
    const narrow = new Octokit({ baseUrl: gh.url, auth: token, log });
    expect((await narrow.rest.repos.listDeployments(repo)).status).toBe(200);
    expect(
      await refusal(narrow.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'v1.4.0...v1.5.0' })),
    ).toEqual({
      status: 403,
      message: 'Resource not accessible by integration',
    });
  });
});
