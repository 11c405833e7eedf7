import type { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubEmulator, SAMPLE, startSampleGitHub } from '../../../src/dev/github-emulator/index.ts';
import { refusalWithHeaders, sampleOctokit } from './github-emulator.helpers.ts';

const repo = { owner: 'acme', repo: 'checkout' };
async function startClient(options: Parameters<typeof startSampleGitHub>[0] = {}) {
  const { gh, privateKey } = await startSampleGitHub(options);
  const octokit = sampleOctokit({ url: gh.url, privateKey });
  return { gh, octokit };
}

describe('the GitHub emulator: rate limits', () => {
  it('sends the x-ratelimit headers on token requests and answers 403 past the limit', async () => {
    const { gh, octokit } = await startClient({ rateLimit: { limit: 3, windowSeconds: 3600 } });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await octokit.rest.repos.get(repo));
      expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
      const { headers } = answers[0]!;
      expect(headers).toMatchObject({
        'x-ratelimit-limit': '3',
        'x-ratelimit-used': '1',
        'x-ratelimit-resource': 'core',
        'x-github-api-version-selected': '2022-11-28',
      });
      expect(headers['x-github-request-id']).toMatch(/^[0-9A-F]{4}(:[0-9A-F]+){4}$/);
      const reset = Number(headers['x-ratelimit-reset']);
      expect(reset).toBeGreaterThan(Date.now() / 1000);
      expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 3600 + 1);
      const over = await refusalWithHeaders(octokit.rest.issues.listForRepo(repo));
      expect(over.status).toBe(403);
      expect(over.message).toBe(`API rate limit exceeded for installation ID ${SAMPLE.installationId}.`);
      expect(over.headers['x-ratelimit-remaining']).toBe('0');
      // The app's own JWT requests are not counted against the installation.
      expect((await octokit.rest.apps.getAuthenticated()).status).toBe(200);
      expect(gh.calls.filter((c) => c.auth === 'installation_token').map((c) => c.status)).toEqual([
        200, 200, 200, 403,
      ]);
    } finally {
      await gh.close();
    }
  });
});

describe('the GitHub emulator: faults', () => {
  let gh: GitHubEmulator;
  let octokit: Octokit;
  beforeAll(async () => {
    ({ gh, octokit } = await startClient());
    await octokit.rest.repos.get(repo); // mints the installation token before faults are queued
  });
  afterAll(() => gh?.close());

  it('failNext answers the next matching request with the injected status, headers and body', async () => {
    gh.faults.failNext({
      path: '/repos/acme/checkout/issues',
      status: 403,
      headers: { 'retry-after': '30' },
    });
    const secondary = await refusalWithHeaders(octokit.rest.issues.listForRepo(repo));
    expect(secondary.status).toBe(403);
    expect(secondary.headers['retry-after']).toBe('30');
    expect(secondary.message).toMatch(/secondary rate limit/);
    expect((await octokit.rest.issues.listForRepo(repo)).status).toBe(200);
    gh.faults.failNext({
      method: 'GET',
      path: /\/deployments$/,
      status: 502,
      body: { message: 'Bad gateway' },
    });
    expect(await refusalWithHeaders(octokit.rest.repos.listDeployments(repo))).toMatchObject({
      status: 502,
      message: 'Bad gateway',
    });
    expect((await octokit.rest.repos.listDeployments(repo)).status).toBe(200);
  });

  it('dropNext destroys the socket without an answer', async () => {
    gh.faults.dropNext({ path: '/repos/acme/checkout' });
    await expect(octokit.rest.repos.get(repo)).rejects.toThrow();
    expect(gh.calls.at(-1)).toMatchObject({ path: '/repos/acme/checkout', status: 0 });
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);
  });

  it('setLatency holds answers back until cleared', async () => {
    gh.faults.setLatency({ ms: 400 });
    // The answer cannot arrive before the injected latency, so a client that gives up sooner times out.
    const impatient = octokit.rest.repos.get({ ...repo, request: { signal: AbortSignal.timeout(50) } });
    await expect(impatient).rejects.toThrow();
    const started = performance.now();
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    gh.faults.setLatency({ ms: 0 });
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);
  });
});
