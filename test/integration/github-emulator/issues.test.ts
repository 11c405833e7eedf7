import type { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubEmulator, startSampleGitHub } from '../../../src/dev/github-emulator/index.ts';
import { refusalWithBody, sampleOctokit } from './github-emulator.helpers.ts';

const repo = { owner: 'acme', repo: 'checkout' };

describe('the GitHub emulator: issues and comments', () => {
  let gh: GitHubEmulator;
  let octokit: Octokit;
  let token: string;
  beforeAll(async () => {
    const started = await startSampleGitHub();
    gh = started.gh;
    octokit = sampleOctokit({ url: gh.url, privateKey: started.privateKey });
    ({ token } = (await octokit.auth({ type: 'installation' })) as { token: string });
  });
  afterAll(() => gh?.close());

  const post = (path: string, body: string) =>
    fetch(`${gh.url}${path}`, {
      method: 'POST',
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body,
    });

  it('creates an issue as the app bot, creating unknown labels', async () => {
    const { status, data, headers } = await octokit.rest.issues.create({
      ...repo,
      title: 'Rollback of checkout v1.5.0',
      body: 'Error rate above 5 % after the deploy.',
      labels: ['incident', { name: 'warden' }],
    });
    expect(status).toBe(201);
    expect(data).toMatchObject({
      number: 5,
      title: 'Rollback of checkout v1.5.0',
      state: 'open',
      user: { login: 'warden-test[bot]', type: 'Bot' },
      html_url: 'https://github.com/acme/checkout/issues/5',
      url: `${gh.url}/repos/acme/checkout/issues/5`,
    });
    expect(data.labels).toEqual([
      expect.objectContaining({ name: 'incident', color: 'ededed', default: false }),
      expect.objectContaining({ name: 'warden', description: null }),
    ]);
    expect(headers.location).toBe(`${gh.url}/repos/acme/checkout/issues/5`);
    const fetched = await octokit.rest.issues.get({ ...repo, issue_number: 5 });
    expect(fetched.data.body).toBe('Error rate above 5 % after the deploy.');
  });

  it('lists with state and labels filters, newest first', async () => {
    const open = await octokit.rest.issues.listForRepo({ ...repo, labels: 'incident' });
    expect(open.data.map((i) => i.number)).toEqual([5, 4, 1]);
    const sev = await octokit.rest.issues.listForRepo({ ...repo, labels: 'incident,sev1', state: 'all' });
    expect(sev.data.map((i) => i.title)).toEqual(['Payment retries double-charge']);
    const oldest = await octokit.rest.issues.listForRepo({
      ...repo,
      state: 'all',
      direction: 'asc',
      creator: 'ana',
    });
    expect(oldest.data.map((i) => i.number)).toEqual([1, 2, 3, 4]);
  });

  it('paginates with a link header that Octokit follows', async () => {
    const first = await octokit.rest.issues.listForRepo({ ...repo, state: 'all', per_page: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.headers.link).toBe(
      [
        `<${gh.url}/repos/acme/checkout/issues?state=all&per_page=2&page=2>; rel="next"`,
        `<${gh.url}/repos/acme/checkout/issues?state=all&per_page=2&page=3>; rel="last"`,
      ].join(', '),
    );
    const second = await octokit.rest.issues.listForRepo({ ...repo, state: 'all', per_page: 2, page: 2 });
    expect(second.headers.link).toContain('rel="prev"');
    expect(second.headers.link).toContain('rel="first"');
    const all = await octokit.paginate(octokit.rest.issues.listForRepo, {
      ...repo,
      state: 'all',
      per_page: 2,
    });
    expect(all.map((i) => i.number)).toEqual([5, 4, 3, 2, 1]);
  });

  it('adds and lists comments', async () => {
    const made = await octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'Rolled back.' });
    expect(made.status).toBe(201);
    expect(made.data).toMatchObject({ body: 'Rolled back.', user: { login: 'warden-test[bot]' } });
    const listed = await octokit.rest.issues.listComments({ ...repo, issue_number: 1 });
    expect(listed.data.map((c) => c.body)).toEqual(['Rolled back.']);
    const tooLong = await refusalWithBody(
      octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'x'.repeat(65_537) }),
    );
    expect(tooLong.status).toBe(422);
    expect(
      (await refusalWithBody(octokit.rest.issues.listComments({ ...repo, issue_number: 99 }))).status,
    ).toBe(404);
  });

  it('validates bodies as GitHub does: 422 Invalid request, 400 for broken JSON', async () => {
    const untitled = await post('/repos/acme/checkout/issues', JSON.stringify({ body: 'no title' }));
    expect(untitled.status).toBe(422);
    expect(await untitled.json()).toEqual({
      message: 'Invalid request.\n\n"title" wasn\'t supplied.',
      documentation_url: 'https://docs.github.com/rest',
      status: '422',
    });
    const wrongType = await post(
      '/repos/acme/checkout/issues',
      JSON.stringify({ title: 'x', labels: 'incident' }),
    );
    expect(((await wrongType.json()) as { message: string }).message).toMatch(
      /^Invalid request\.\n\nFor 'properties\/labels'/,
    );
    const longTitle = await refusalWithBody(octokit.rest.issues.create({ ...repo, title: 't'.repeat(257) }));
    expect(longTitle.body).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'Issue', field: 'title', code: 'custom' }],
    });
    const broken = await post('/repos/acme/checkout/issues', '{"title": ');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ message: 'Problems parsing JSON' });
    expect(gh.store.issues('acme/checkout')).toHaveLength(5);
  });

  it('answers 410 Gone when the repository has issues turned off', async () => {
    gh.store.setIssuesEnabled({ repo: 'acme/payments', enabled: false });
    const gone = await refusalWithBody(
      octokit.rest.issues.create({ owner: 'acme', repo: 'payments', title: 'x' }),
    );
    expect(gone).toMatchObject({ status: 410, message: 'Issues are disabled for this repo' });
    gh.store.setIssuesEnabled({ repo: 'acme/payments', enabled: true });
    expect((await octokit.rest.issues.listForRepo({ owner: 'acme', repo: 'payments' })).data).toHaveLength(1);
  });

  it('serves only its endpoints: anything else is 404 Not Found', async () => {
    const other = await fetch(`${gh.url}/repos/acme/checkout/pulls`, {
      headers: { authorization: `token ${token}` },
    });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ message: 'Not Found' });
    const patch = await fetch(`${gh.url}/repos/acme/checkout/issues/1`, {
      method: 'PATCH',
      headers: { authorization: `token ${token}` },
      body: '{}',
    });
    expect(patch.status).toBe(404);
  });
});
